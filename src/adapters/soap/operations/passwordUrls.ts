// protocol §5.14–5.15: the owner's password form URL with '$uid' replaced by the user id.
import type { UserRecord } from '../../../core/store/index.js';

export function passwordFormUrl(template: string | null, user: UserRecord): string | undefined {
  return template === null ? undefined : template.replaceAll('$uid', user.id);
}
