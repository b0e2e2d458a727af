using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dkms.Client.Rpc;

/// <summary>The one JSON configuration of the RPC, shared by the node and its clients.</summary>
public static class RpcJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.Strict,
        // Unknown properties are an error, so a misspelt parameter does not silently take its default.
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };
}
