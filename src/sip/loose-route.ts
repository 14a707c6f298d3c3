/** A `Route` value that sends a request through the proxy at `uri` (RFC 3261 §8.1.2, §16.12: loose routing, `;lr` added when missing). */
export const looseRoute = (uri: string): string => `<${uri}${/;lr\b/.test(uri) ? '' : ';lr'}>`;
