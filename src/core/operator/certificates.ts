// The certificate authority's certificate as the store keeps it for the nodes of a PostgreSQL
// installation (public: no master key needed). A SQLite installation keeps it in its data directory.
import type { StoreServices } from '../services.js';

/** The CA certificate (PEM) from the store; null when no node has made one there yet. */
export async function storedCaCertificate(services: Pick<StoreServices, 'store'>): Promise<string | null> {
  return (await services.store.getKeyMaterial('ca'))?.certificatePem ?? null;
}
