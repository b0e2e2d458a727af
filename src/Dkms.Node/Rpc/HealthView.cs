using System.Text.Json.Nodes;
using Dkms.Node.Supervision;

namespace Dkms.Node.Rpc;

/// <summary>How <c>/health</c> shows the supervised loops: name, state and the last error's type and message.</summary>
internal static class HealthView
{
    public static JsonArray Loops(IReadOnlyList<LoopStatus> loops) =>
    [
        .. loops.Select(l => (JsonNode)new JsonObject
        {
            ["name"] = l.Name,
            ["state"] = l.State.ToString().ToLowerInvariant(),
            ["lastError"] = l.LastError,
            ["failedAt"] = l.FailedAt?.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
        }),
    ];
}
