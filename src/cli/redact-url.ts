/**
 * `url` with the password of its userinfo replaced by `***` (`redis://:secret@h:6379` →
 * `redis://:***@h:6379`), for startup lines and error messages.
 */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^@/]*)@/i, (_all, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(':');
    return `${scheme}${colon < 0 ? '***' : `${userinfo.slice(0, colon)}:***`}@`;
  });
}
