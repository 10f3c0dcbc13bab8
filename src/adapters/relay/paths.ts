// The pages of ssod itself on the relay listener (docs/sign-in-page.md), beside the relay's /relay.

/** ssod's own sign-in page: GET shows the form for `?url=<an address of a registered application>`, POST signs in. */
export const SIGN_IN_PATH = '/login';

/** The default page after a pass-through sign-in that has nowhere else to go; `?url=` adds a "Continue" link. */
export const SIGNED_IN_PATH = '/signed-in';

/** The default page after a pass-through sign-in that failed, `?reason=` one of SIGN_IN_FAILED_REASONS. */
export const SIGN_IN_FAILED_PATH = '/sign-in-failed';

/** Why a sign-in failed, as the failure page words it; any other reason reads as `failed`. */
export const SIGN_IN_FAILED_REASONS = ['failed', 'unavailable', 'notAllowed'] as const;
export type SignInFailedReason = (typeof SIGN_IN_FAILED_REASONS)[number];

/** The failure page's path and query for a reason, to redirect to. */
export function signInFailedPath(reason: SignInFailedReason): string {
  return `${SIGN_IN_FAILED_PATH}?reason=${reason}`;
}
