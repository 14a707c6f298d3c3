/** The SIP messages of baresip's trace (`-s`), each as `TCP a -> b` (or UDP, TLS) plus its text, line ends as `\n`. */
export function tracedMessages(output: string): string[] {
  return output
    .split(/^(?=(?:TCP|UDP|TLS) \S+ -> \S+$)/m)
    .filter((block) => /^(?:TCP|UDP|TLS) /.test(block))
    .map((block) => block.replaceAll('\r\n', '\n'));
}

/**
 * Whether a traced message is a response of `status` (RFC 3261 §7.2) to a request of `method`
 * (whose CSeq number is `cseq`, if given).
 */
export function isResponseTo(message: string, status: number, method: string, cseq = '\\d+'): boolean {
  return new RegExp(`\\nSIP/2\\.0 ${status} `).test(message) && new RegExp(`\\nCSeq: ${cseq} ${method}\\n`).test(message);
}
