using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Dkms.Rpc;

/// <summary>
/// Generated serialization code for every parameter and result record of the contract (and the JSON tree types the
/// envelope is built from), so the RPC path reads and writes them without reflection. <see cref="RpcJson.Options"/>
/// resolves through it; <c>RpcJsonContextTests</c> checks that no contract record is missing here and that the bytes
/// are those of the reflection-based serializer the RPC used before.
/// </summary>
[JsonSerializable(typeof(SubmitParams))]
[JsonSerializable(typeof(SubmitBatchParams))]
[JsonSerializable(typeof(SubmitResult))]
[JsonSerializable(typeof(TxErrorData))]
[JsonSerializable(typeof(SubmitResult[]))]
[JsonSerializable(typeof(HashParams))]
[JsonSerializable(typeof(TxStatusResult))]
[JsonSerializable(typeof(ResolveParams))]
[JsonSerializable(typeof(ResolveResult))]
[JsonSerializable(typeof(IdentityView))]
[JsonSerializable(typeof(KeyAgreementKeyView))]
[JsonSerializable(typeof(RecoveryPolicyView))]
[JsonSerializable(typeof(PendingRecoveryView))]
[JsonSerializable(typeof(PendingPolicyChangeView))]
[JsonSerializable(typeof(StateProofView))]
[JsonSerializable(typeof(EventsParams))]
[JsonSerializable(typeof(EventView))]
[JsonSerializable(typeof(EventView[]))]
[JsonSerializable(typeof(CheckKeyParams))]
[JsonSerializable(typeof(CheckKeyResult))]
[JsonSerializable(typeof(PolicyParams))]
[JsonSerializable(typeof(PolicyResult))]
[JsonSerializable(typeof(PolicyView))]
[JsonSerializable(typeof(AgentView))]
[JsonSerializable(typeof(CheckAuthorizationParams))]
[JsonSerializable(typeof(CheckAuthorizationResult))]
[JsonSerializable(typeof(BlockParams))]
[JsonSerializable(typeof(BlockResult))]
[JsonSerializable(typeof(NodeStatusResult))]
[JsonSerializable(typeof(ValidatorsParams))]
[JsonSerializable(typeof(ValidatorView))]
[JsonSerializable(typeof(ValidatorsResult))]
[JsonSerializable(typeof(ValidatorHistoryParams))]
[JsonSerializable(typeof(ValidatorChangeView))]
[JsonSerializable(typeof(ValidatorHistoryResult))]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(JsonNode))]
[JsonSerializable(typeof(JsonObject))]
[JsonSerializable(typeof(JsonArray))]
[JsonSerializable(typeof(JsonValue))]
public sealed partial class RpcJsonContext : JsonSerializerContext;
