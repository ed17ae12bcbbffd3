// Saves text as a file through the browser's download (a Blob behind a temporary link):
// how the browser shell delivers exports, and it works the same inside Electron.

/** Starts a download of `text` named `fileName`. */
export function downloadText(fileName: string, text: string, type = "application/x-ndjson"): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = fileName;
  a.style.display = "none";
  document.body.append(a);
  a.click();
  a.remove();
  // Revoked on the next task: the download has started by then.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

/** Reads a file the user picked as text. */
export function readFileText(file: File): Promise<string> {
  return file.text();
}
