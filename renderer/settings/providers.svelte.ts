// The remote providers store behind Settings → Providers (ProvidersView): the list with
// masked keys, add/edit/remove, and connection tests (which also put the provider's models
// in the catalog, so the model picker is refreshed through onCatalogChanged).
import { SvelteSet } from "svelte/reactivity";
import type { Provider } from "../../core/api/providers.ts";
import type { Api } from "../api/connect.ts";
import { errorText } from "../ui/errors.ts";

/** What the add/edit form sends. */
export interface ProviderForm {
  name: string;
  baseUrl: string;
  /** New key; "" = none (add) or keep (edit, unless clearKey). */
  apiKey: string;
  concurrency: number;
}

export class ProvidersStore {
  /** Providers by name, keys masked. */
  providers = $state.raw<Provider[]>([]);
  /** Providers whose connection test is running, by id. */
  readonly testing = new SvelteSet<string>();
  /** Why the last call failed, for people; null when it worked. */
  error = $state<string | null>(null);

  constructor(
    private readonly api: Api,
    /** Called when remote models entered or left the catalog. */
    private readonly onCatalogChanged: () => void = () => {},
  ) {}

  private async guard<T>(work: () => Promise<T>): Promise<T | null> {
    try {
      const out = await work();
      this.error = null;
      return out;
    } catch (err) {
      this.error = errorText(err);
      return null;
    }
  }

  async refresh(): Promise<void> {
    const list = await this.guard(() => this.api.providers.list({}));
    if (list) this.providers = list;
  }

  /** Adds a provider, then tests it at once; false when refused. */
  async add(form: ProviderForm): Promise<boolean> {
    const p = await this.guard(() =>
      this.api.providers.add({ name: form.name, baseUrl: form.baseUrl, concurrency: form.concurrency, ...(form.apiKey ? { apiKey: form.apiKey } : {}) }),
    );
    if (!p) return false;
    await this.refresh();
    await this.test(p.id);
    return true;
  }

  /** Saves changes; an empty key keeps the stored one unless clearKey. */
  async update(id: string, form: ProviderForm, clearKey = false): Promise<boolean> {
    const p = await this.guard(() =>
      this.api.providers.update({
        id,
        name: form.name,
        baseUrl: form.baseUrl,
        concurrency: form.concurrency,
        ...(clearKey ? { apiKey: null } : form.apiKey ? { apiKey: form.apiKey } : {}),
      }),
    );
    if (!p) return false;
    await this.refresh();
    this.onCatalogChanged();
    return true;
  }

  async remove(id: string): Promise<void> {
    await this.guard(() => this.api.providers.remove({ id }));
    await this.refresh();
    this.onCatalogChanged();
  }

  /** Lists the server's models and probes its capabilities. */
  async test(id: string): Promise<void> {
    this.testing.add(id);
    try {
      const p = await this.guard(() => this.api.providers.test({ id }));
      if (p) this.providers = this.providers.map((x) => (x.id === id ? p : x));
      this.onCatalogChanged();
    } finally {
      this.testing.delete(id);
    }
  }
}
