/**
 * sipreg: the registration logic of a production SIP server as an embeddable TypeScript SDK.
 *
 * - {@link createRegistrar}: REGISTER processing (RFC 3261 §10.3), lookup, remove and queries,
 *   modelled on the OpenSIPS registrar module.
 * - Extensions plugged into the registrar: Path (RFC 3327), outbound (RFC 5626), GRUU
 *   (RFC 5627) and push notifications (RFC 8599), configured through {@link RegistrarOptions}.
 * - {@link createMidRegistrar}: a registration front-end to a main registrar (OpenSIPS
 *   mid_registrar): contact mirroring, contact throttling and AOR throttling.
 * - {@link createRegistrantScheduler}: registers this server on remote registrars (OpenSIPS uac_registrant).
 * - {@link createReginfo}: RFC 3680 reg-event (OpenSIPS pua_reginfo): PUBLISH on change, SUBSCRIBE
 *   and apply NOTIFYs, and a notifier so sipreg nodes keep each other's location in sync.
 * - {@link parseSipMessage}: a two-tier SIP parser (fast scanner, SIP.js grammar as reference).
 * - Ports ({@link LocationStore}, {@link Transport}, {@link Clock}, {@link Logger}) so hosts
 *   wire their own storage and sockets; `sipreg/stores/*` and `sipreg/transports/node` ship
 *   ready adapters, `sipreg/testing` a test kit.
 * - {@link createDigestAuthenticator} and {@link createSourceGuard}: server-side digest
 *   authentication (RFC 3261 §22, RFC 7616, RFC 8760) over a {@link CredentialStore}, and
 *   per-source rate limits and bans (OpenSIPS auth_db and pike).
 * - {@link sourceFrom}: the {@link Source} of a request from the addresses a Node.js socket reports.
 * @packageDocumentation
 */
// Every name below is public API, listed on purpose; `api/sipreg.api.md` records their
// signatures and `test/package/api-report.test.ts` fails when they change unnoticed.

// Errors: SIP error replies as values (RegError), programmer and adapter errors as classes.
export { SdkError, ConfigError, StoreError, TransportError } from './errors/sdk-error';
export { REG_ERRORS } from './errors/reg-error';
export type { RegError, RegErrorCode, RegErrorInfo } from './errors/reg-error';
export type { Result } from './errors/result';

// Ports: what a host implements or hands in.
export { BindingFlags } from './ports/binding';
export type { AcceptedRegister, AorSnapshot, Binding, UpstreamRegistration } from './ports/binding';
export type { AorPage, CommitOutcome, LocationStore, MaybePromise } from './ports/location-store';
export type { Endpoint, RequestHandler, ResponseHandler, SentBy, Source, TransactionOutcome, Transport, TransportProtocol } from './ports/transport';
export { systemClock } from './ports/clock';
export type { Clock, TimerHandle } from './ports/clock';
export { silentLogger } from './ports/logger';
export type { Logger } from './ports/logger';
export type { RegistrantKey, RegistrantRecord, RegistrantStore } from './ports/registrant-store';
export type { CredentialAdmin, CredentialStore, DigestAlgorithm, StoredCredentials, SubscriberRecord } from './ports/credential-store';

// SIP messages: parse, read, answer, forward.
export { parseSipMessage } from './sip/sip-parser';
export { SipScanner } from './sip/scanner';
export { GrammarBudget, GRAMMAR_BUDGET_SPENT } from './sip/grammar-budget';
export type { ParseOptions, ParseResult, ParseTier, PartialMessage, SipParseError } from './sip/parse-result';
export type { CSeqValue, NameAddrValue, SipHeader, SipMessage, SipMessageBase, SipRequest, SipResponse, ViaValue } from './sip/message';
export { formatUri, parseUri, uriEquals } from './sip/uri';
export type { SipUri, UriScheme } from './sip/uri';
export { buildResponse } from './sip/response';
export type { BuildResponseOptions, ResponseBody } from './sip/response';
export { serializeMessage, serializeRequest } from './sip/serialize';
export type { ForwardChanges } from './sip/serialize';
export { sourceFrom } from './sip/source-from';
export type { SocketAddress, SourceFromOptions } from './sip/source-from';
export { digestAuthorization, parseDigestChallenge, selectDigestChallenge } from './sip/digest';
export type { DigestChallenge, DigestCredentials, DigestRequest } from './sip/digest';
export type { SipResolver, SrvRecord } from './sip/request-destination';

// Transaction layer (RFC 3261 §17, RFC 6026): INVITE transactions for proxies built on sipreg.
export { InviteClientTransaction } from './transactions/invite-client-transaction';
export { ackFor, cancelFor } from './transactions/hop-by-hop-request';
export type { SentInvite } from './transactions/hop-by-hop-request';
export type { ClientTransactionOptions } from './transactions/client-transaction-options';
export type { InviteClientState, InviteClientTransactionOptions } from './transactions/invite-client-transaction';
export { InviteServerTransaction, TRYING_AFTER_MS } from './transactions/invite-server-transaction';
export type { InviteServerState, InviteServerTransactionOptions } from './transactions/invite-server-transaction';
export { NonInviteClientTransaction } from './transactions/non-invite-client-transaction';
export type { NonInviteClientState, NonInviteClientTransactionOptions } from './transactions/non-invite-client-transaction';
export { NonInviteServerTransaction } from './transactions/non-invite-server-transaction';
export type { NonInviteServerTransactionOptions } from './transactions/non-invite-server-transaction';
export { resolveTransactionTimers } from './transactions/transaction-timers';
export type { TransactionTimers } from './transactions/transaction-timers';

// Registrar (OpenSIPS registrar).
export { Registrar, createRegistrar } from './registrar/registrar';
export type { BindingsEdit, RegistrarStats, RemoveQuery } from './registrar/registrar';
export type { ReceivedMode, RegistrarOptions, ResolvedRegistrarOptions } from './registrar/registrar-options';
export type { RegistrarEvents } from './registrar/registrar-events';
export type { MatchingMode, SaveOptions } from './registrar/save-options';
export type { SaveAccepted, SaveRejected, SaveResult } from './registrar/save-result';
export type { LookupOptions } from './registrar/lookup-options';
export type { LookupError, LookupFound, LookupResult, LookupTarget, PushPendingTarget } from './registrar/select-targets';
export type { PurrOutcome } from './registrar/purr-outcome';
export type { BindingChange, BindingChangeKind } from './registrar/binding-change';
export { parseSaveFlags } from './registrar/parse-save-flags';
export { parseLookupFlags } from './registrar/parse-lookup-flags';
export { addSockHdr } from './registrar/add-sock-hdr';

// Registrar extensions: Path, outbound, GRUU, push (RFC 3327, 5626, 5627, 8599).
export type { PathMode } from './features/path/path-mode';
export { flowTokenOf } from './features/outbound/flow-token';
export type { OutboundOptions, ResolvedOutboundOptions } from './features/outbound/outbound-options';
export type { GruuOptions, ResolvedGruuOptions } from './features/gruu/gruu-options';
export type { PushOptions, ResolvedPushOptions } from './features/push/push-options';
export type { PushNotifier, PushRequest } from './features/push/push-notifier';
export { createWebhookPushNotifier } from './features/push/webhook-push-notifier';
export type { WebhookPushNotifierOptions } from './features/push/webhook-push-notifier';
export type { ContactRefreshEvent, PushCoordinates, PushReason } from './features/push/contact-refresh-event';

// Authentication and abuse protection (RFC 3261 §22, RFC 7616, RFC 8760; OpenSIPS auth_db, pike).
export { createDigestAuthenticator } from './auth/digest-authenticator';
export type { DigestAuthenticator } from './auth/digest-authenticator';
export { resolveDigestAuthOptions } from './auth/digest-auth-options';
export type { DigestAuthOptions, DigestQop, ResolvedDigestAuthOptions } from './auth/digest-auth-options';
export type { AuthIdentity, AuthKind, AuthOutcome, Authenticator } from './auth/authenticator';
export { computeHa1s } from './auth/compute-ha1s';
export { identityMayUse } from './auth/identity-may-use';
export { SourceGuard, createSourceGuard } from './auth/source-guard';
export type { AdmitVerdict, SourceGuardStats } from './auth/source-guard';
export { resolveSourceGuardOptions } from './auth/source-guard-options';
export type {
  BanOptions, GuardAction, PikeOptions, ResolvedBanOptions, ResolvedPikeOptions, ResolvedSourceGuardOptions, SourceGuardOptions,
} from './auth/source-guard-options';
export type { RateLimitedEvent, SourceGuardEvents, UnbannedEvent } from './auth/source-guard-events';
export type { SourceBan, UnbanReason } from './auth/ban-list';

// Mid-registrar (OpenSIPS mid_registrar).
export { MidRegistrar, createMidRegistrar } from './mid-registrar/mid-registrar';
export type {
  DeregisteredEvent, MidRegisterOutcome, MidRegistrarEvents, MidRegistrarStats, MidReply, MidSaveOptions, ProcessedRegister,
} from './mid-registrar/mid-registrar';
export type {
  AdvertisedAddress, ContactIdInsertion, CredentialsProvider, MidRegistrarMode, MidRegistrarOptions, ResolvedMidOptions,
} from './mid-registrar/mid-registrar-options';
export type { DeregisterOutcome } from './mid-registrar/send-deregister';

// The bundled server, the forking proxy core it routes with (RFC 3261 §16), and stateless forwarding.
export { createRegistrarServer } from './server/registrar-server';
export type { RegisterAnswer, RegistrarServer, RegistrarServerOptions } from './server/registrar-server';
export type { ProxyAuthOptions } from './server/proxy-auth';
export { ForkingProxy } from './proxy/forking-proxy';
export type { ForkingProxyOptions } from './proxy/forking-proxy';
export type { ProxyTransaction, RelayPlan } from './proxy/response-context';
export { bestResponse } from './proxy/best-response';
export type { BranchFinal, ChosenResponse } from './proxy/best-response';
export { qGroups } from './proxy/q-groups';
export { forwardRequest, recordRouteOf, relayResponse } from './proxy/stateless-proxy';
export type { ForwardEdits, ForwardPlan, ForwardTarget } from './proxy/stateless-proxy';

// Contact pinging (nathelper SIP pinging): the latencies of the `y`/`Y` lookup flags.
export { createContactPinger } from './features/nat-ping/contact-pinger';
export type { ContactPinger, PingerStats } from './features/nat-ping/contact-pinger';
export type { ContactPingerOptions, PingShare } from './features/nat-ping/ping-options';

// Stores that need no optional dependency (the others are `sipreg/stores/*`).
export { MemoryLocationStore } from './stores/memory-location-store';
export { MemoryRegistrantStore } from './stores/memory-registrant-store';
export { JsonFileRegistrantStore } from './stores/json-file-registrant-store';
export { MemoryCredentialStore } from './stores/memory-credential-store';
export { JsonFileCredentialStore } from './stores/json-file-credential-store';
export type { JsonFileCredentialStoreOptions } from './stores/json-file-credential-store';
export { OPENSIPS_REGISTRANT_COLUMNS, type RegistrantColumns, type RegistrantField } from './stores/registrant-record-from-row';

// Outbound registrations (OpenSIPS uac_registrant).
export { RegistrantScheduler, createRegistrantScheduler } from './registrant/registrant-scheduler';
export type { RegistrantCloseOptions, RegistrantEvents, RegistrantStateChange, RegistrantStats, RegistrantStatus } from './registrant/registrant-scheduler';
export type { RegistrantSchedulerOptions, ResolvedRegistrantOptions } from './registrant/registrant-options';
export { REGISTRANT_STATE_CODES, REGISTRANT_TRANSITIONS, isFailedState, isPendingState } from './registrant/registrant-state';
export type { FailedRegistrantState, PendingRegistrantState, RegistrantState } from './registrant/registrant-state';

// Reg-event (RFC 3680, OpenSIPS pua_reginfo).
export { Reginfo, createReginfo } from './reginfo/reginfo';
export type { NotifyOutcome, ReginfoEvents } from './reginfo/reginfo';
export type { ReginfoOptions, ResolvedReginfoOptions } from './reginfo/reginfo-options';
export { REGINFO_CONTENT_TYPE, REGINFO_NAMESPACE } from './reginfo/reginfo-document';
export type {
  ContactEvent, ContactState, ReginfoContact, ReginfoDocument, ReginfoRegistration, ReginfoUnknownParam, RegistrationState,
} from './reginfo/reginfo-document';
export { buildReginfo } from './reginfo/build-reginfo';
export { parseReginfo } from './reginfo/parse-reginfo';
export type { ParseReginfoOptions, ReginfoParseError } from './reginfo/parse-reginfo';
export type { PublishOutcome } from './reginfo/reginfo-publisher';
export type { ReginfoSubscriptionInfo, SubscriptionStatus } from './reginfo/reginfo-subscriber';
export type { WatcherSubscription } from './reginfo/reginfo-notifier';

// Operations (issue 21): the management interface (OpenSIPS MI names over JSON-RPC 2.0) and Prometheus metrics.
export { startMiServer } from './management/mi-server';
export type { MiServer, MiServerOptions } from './management/mi-server';
export { MiError, MI_ERROR_CODES, invalidParam } from './management/mi-command';
export type { MiCommand, MiParam, MiParamKind, MiParams, StatisticsGroup } from './management/mi-command';
export { coreCommands } from './management/core-commands';
export type { CoreCommandsOptions } from './management/core-commands';
export { registrarStatisticsGroups, midRegistrarStatisticsGroups, registrantStatisticsGroups } from './management/statistics-groups';
export { locationCommands } from './management/location-commands';
export type { LocationCommandsOptions } from './management/location-commands';
export { registrantCommands } from './management/registrant-commands';
export type { EditableRegistrantStore } from './management/registrant-commands';
export { reginfoCommands } from './management/reginfo-commands';
export { pushCommands } from './management/push-commands';
export type { PendingPushSource } from './management/push-commands';
export type { PushWait } from './features/push/push-coordinator';
export { storeHealth } from './management/store-health';
export { registerSipregMetrics } from './metrics/register-sipreg-metrics';
export type { SipregMetrics, SipregMetricsOptions } from './metrics/register-sipreg-metrics';
export { createSipregMetrics } from './metrics/create-sipreg-metrics';
export type { CreateSipregMetricsOptions, SipregMetricsEndpoint } from './metrics/create-sipreg-metrics';
export type { SipregMetricSources } from './metrics/sipreg-metric-sources';
