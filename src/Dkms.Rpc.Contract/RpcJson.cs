using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Dkms.Rpc;

/// <summary>The one JSON configuration of the RPC, shared by the node and its clients.</summary>
public static class RpcJson
{
    /// <summary>
    /// The contract's records resolve through generated code (<see cref="RpcJsonContext"/>), first in the chain; a type
    /// outside the contract still serializes by reflection: the anonymous <c>data</c> of a node's error, a node's own
    /// admin answer, a test's deliberately malformed parameters. The settings are those the wire has always had
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
