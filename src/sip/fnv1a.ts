/**
 * The 32-bit FNV-1a hash of `text`'s UTF-16 code units, unsigned: the same in every process, for
 * placing a key (an AOR, a Call-ID) among parts or processes by `fnv1a(key) % parts`.
 */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
