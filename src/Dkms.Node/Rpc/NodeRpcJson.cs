using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Dkms.Node.Maintenance;
using Dkms.Rpc;

namespace Dkms.Node.Rpc;

/// <summary>The node's own RPC types (not part of the client contract): the admin method and the empty params.</summary>
[JsonSerializable(typeof(AdminRpc.BackupParams))]
[JsonSerializable(typeof(BackupInfo))]
[JsonSerializable(typeof(NodeRpc.EmptyParams))]
[JsonSerializable(typeof(object))]
internal sealed partial class NodeRpcJsonContext : JsonSerializerContext;

/// <summary>The JSON settings the node answers with: the contract's (<see cref="RpcJson.Options"/>), resolved by generated
/// code only — the contract's context, then the node's own. A type in neither fails its call at once (and
/// <c>NodeRpcJsonTests</c> finds every registered method's types in them), instead of falling back to reflection.</summary>
public static class NodeRpcJson
{
    public static readonly JsonSerializerOptions Options = new(RpcJson.Options)
    {
        TypeInfoResolver = JsonTypeInfoResolver.Combine(RpcJsonContext.Default, NodeRpcJsonContext.Default),
    };
}
