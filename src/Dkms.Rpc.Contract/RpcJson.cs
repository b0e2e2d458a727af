using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Dkms.Rpc;

/// <summary>The one JSON configuration of the RPC, shared by the node and its clients.</summary>
public static class RpcJson
{
    /// <summary>
    /// The contract's records resolve through generated code (<see cref="RpcJsonContext"/>), first in the chain; a type
    /// outside the contract still serializes by reflection here (a test's deliberately malformed parameters); the node
    /// answers through its own options, generated code only (Dkms.Node's <c>NodeRpcJson</c>). The settings are those the wire has always had
    /// (<c>RpcJsonContextTests</c> compares the bytes with the reflection-based serializer).
    /// </summary>
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.Strict,
        // Unknown properties are an error, so a misspelt parameter does not silently take its default.
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        TypeInfoResolver = JsonTypeInfoResolver.Combine(RpcJsonContext.Default, new DefaultJsonTypeInfoResolver()),
    };
}
