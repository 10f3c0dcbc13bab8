// Opens a delegated source from its settings (core/ports/delegated.ts SourceOpener): the web service
// (webService.ts) or the LDAP directory (ldap.ts). The composition root hands this to the core's
// registry (core/sources.ts), which opens each source on first use and keeps it behind its circuit
// breaker; `ssod sources test` opens one directly.
import type { DelegatedSource, SourceSettings } from '../../core/ports/delegated.js';
import type { Logger } from '../../core/ports/logger.js';
import { openLdapSource } from './ldap.js';
import { openWebServiceSource } from './webService.js';

export interface SourceDeps {
  readonly log: Logger;
}

export function openSource(settings: SourceSettings, deps: SourceDeps): DelegatedSource {
  switch (settings.kind) {
    case 'webService':
      return openWebServiceSource(settings, deps);
    case 'ldap':
      return openLdapSource(settings, deps);
  }
}
