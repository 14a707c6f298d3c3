/**
 * `sipreg/testing`: the test kit for code built on sipreg — a manual clock (no fake timers),
 * SIP message builders, a scriptable fake transport and the contract suites every
 * `LocationStore`, `RegistrantStore` and `CredentialStore` adapter must pass.
 * @packageDocumentation
 */
export { ManualClock } from './manual-clock';
export { IdSequence, buildRegister, buildRequest, buildResponseText } from './message-builders';
export type { ContactSpec, HeaderSpec, OtherRequestSpec, RegisterSpec, RequestSpec, ResponseTextOptions, ViaSpec } from './message-builders';
export { FakeTransport } from './fake-transport';
export type { FakeReply, FakeResponder, FakeTransportOptions, SentMessage, SentRequest, SentResponse } from './fake-transport';
export { runLocationStoreContract } from './location-store-contract';
export type { LocationStoreContractApi, LocationStoreContractOptions } from './location-store-contract';
export { registrantStoreContract } from './registrant-store-contract';
export type { RegistrantStoreContractApi, RegistrantStoreContractOptions, RegistrantStoreFactory } from './registrant-store-contract';
export { credentialStoreContract } from './credential-store-contract';
export type { CredentialStoreContractOptions, CredentialStoreFactory } from './credential-store-contract';
export type { ContractTestApi } from './contract-api';
export { SdkError, ConfigError, StoreError, TransportError } from '../errors/sdk-error';
export { BINDING_T0, buildBinding } from './build-binding';
