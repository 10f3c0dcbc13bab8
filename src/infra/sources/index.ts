// Opens a delegated source from its settings (core/ports/delegated.ts SourceOpener): the web service
// (webService.ts) or the LDAP directory (ldap.ts). The composition root hands this to the core's
// registry (core/sources.ts), which opens each source on first use and keeps it behind its circuit
// breaker; `ssod sources test` opens one directly.
import type { DelegatedSource, SourceSettings } from '../../core/ports/delegated.js';
import type { Logger } from '../../core/ports/logger.js';

export interface SourceDeps {
  readonly log: Logger;
}

export function openSource(settings: SourceSettings, _deps: SourceDeps): DelegatedSource {
  // ---- NOT BUILT YET: replaced at merge by the two sources ----------------------------------------
  //   case 'webService': return openWebServiceSource(settings, deps);   (./webService.js)
  //   case 'ldap': return openLdapSource(settings, deps);               (./ldap.js)
  switch (settings.kind) {
    case 'webService':
      throw new Error('the web service source is not built yet');
    case 'ldap':
      throw new Error('the LDAP source is not built yet');
  }
  // ---- end of NOT BUILT YET -----------------------------------------------------------------------
}
