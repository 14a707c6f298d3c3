import { registrantKeyText, type RegistrantRecord } from '../ports/registrant-store';
import type { Endpoint } from '../ports/transport';
import { parseParams } from '../sip/headers/params';
import type { KeptChallenge } from '../transactions/digest-header';
import type { OwnBinding, OutstandingRequest } from './reply-decision';
import type { RegistrantState } from './registrant-state';

/** The `+sip.instance` and `reg-id` of the binding params, which make the binding unique (RFC 5626 §4.2). */
export function ownBinding(record: RegistrantRecord): OwnBinding {
  const text = record.bindingParams ?? '';
  const params = text === '' ? undefined : parseParams(text, 0, text.length);
  const instanceId = params?.['+sip.instance'] ?? undefined;
  const regId = params?.['reg-id'] ?? undefined;
  return { uri: record.bindingUri, ...(instanceId === undefined ? {} : { instanceId }), ...(regId === undefined ? {} : { regId }) };
}

/**
 * The scheduler's live state of one registrant: the record, its dialog identifiers (Call-ID,
 * From tag, CSeq: RFC 3261 §10.2 keeps one Call-ID across refreshes), its state and timing.
 */
export class RegistrantEntry {
  record: RegistrantRecord;
  readonly key: string;
  readonly bucket: number;
  state: RegistrantState = 'NOT_REGISTERED';
  /** Expiry asked for (s): the record's, raised by a 423's Min-Expires. */
  expiresSec: number;
  callId = '';
  fromTag = '';
  cseq = 0;
  /** When the next REGISTER falls due (epoch ms); 0 = at the next visit of the bucket. */
  dueAt = 0;
  lastRegisterSentAt = 0;
  /** When the registration granted by the registrar runs out (epoch ms); 0 when not registered. */
  registeredUntil = 0;
  /** Consecutive failures (RFC 5626 §4.5 `consecutive-failures`). */
  failures = 0;
  lastStatus: number | undefined;
  lastReason = '';
  /** The request outstanding, if any: one at a time. */
  sent: OutstandingRequest | undefined;
  /** What follows a successful unREGISTER: a fresh REGISTER (duplicates removed) or nothing. */
  afterUnregister: 'register' | 'stop' = 'stop';
  /** The challenge last answered, to authenticate the next requests pre-emptively. */
  kept: KeptChallenge | undefined;
  destination: Endpoint | undefined;

  constructor(record: RegistrantRecord, bucket: number, defaultExpirySec: number) {
    this.record = record;
    this.key = registrantKeyText(record);
    this.bucket = bucket;
    this.expiresSec = record.expirySec ?? defaultExpirySec;
  }
}
