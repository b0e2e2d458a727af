using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Dkms.Cli.Infrastructure;

/// <summary>
/// Sits under the RPC client: before the first request of a run reaches the node, asks the node which chain it serves
/// and refuses (exit code 8, <c>WrongChain</c>) a node of a chain other than the one this CLI knows. So nothing —
/// no transaction signed for our chain, no question about our identities — goes to a mistyped <c>--node</c> or to
/// whatever happens to listen on the default port, and no answer of another chain is shown as ours. When both sides
/// know the genesis, its hash is compared too: a chain started again under the same id (a testnet re-created, a copy
/// of a genesis with other validators) is another chain.
/// </summary>
internal sealed class ChainGuard(string expectedChainId, string? expectedGenesisHash, string expectedFrom, HttpMessageHandler inner) : DelegatingHandler(inner)
{
    private readonly SemaphoreSlim _once = new(1, 1);
    private bool _checked;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (!Volatile.Read(ref _checked))
        {
            await _once.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (!_checked)
                {
                    await CheckAsync(request.RequestUri!, cancellationToken).ConfigureAwait(false);
                    Volatile.Write(ref _checked, true);
                }
            }
            finally
            {
                _once.Release();
            }
        }

        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    private async Task CheckAsync(Uri node, CancellationToken ct)
    {
        using var ask = new HttpRequestMessage(HttpMethod.Post, node)
        {
            Content = new StringContent("""{"jsonrpc":"2.0","id":0,"method":"node.status"}""", Encoding.UTF8),
        };
        ask.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await base.SendAsync(ask, ct).ConfigureAwait(false);
        var (chainId, genesisHash) = await ChainOfAsync(response, ct).ConfigureAwait(false);
        if (chainId is null)
        {
            throw new CliException(ExitCodes.NodeUnavailable,
                $"the node at {node} did not say which chain it serves (node.status answered HTTP {(int)response.StatusCode}); nothing was sent to it", "NodeUnreachable");
        }

        if (chainId != expectedChainId)
        {
            throw new CliException(ExitCodes.WrongChain,
                $"the node at {node} serves chain '{chainId}', but this client is set up for chain '{expectedChainId}' ({expectedFrom}); nothing was sent to it. "
                + "Give the --node of a node of that chain, or set up for the other chain with 'dkms config init --genesis FILE --node URL --force'", "WrongChain");
        }

        // A node that does not say (an older build) is judged by its chain id alone; verification still checks its answers.
        if (expectedGenesisHash is not null && genesisHash is not null && !string.Equals(genesisHash, expectedGenesisHash, StringComparison.OrdinalIgnoreCase))
        {
            throw new CliException(ExitCodes.WrongChain,
                $"the node at {node} serves a chain named '{chainId}' started from another genesis (hash {Short(genesisHash)}, this client's is {Short(expectedGenesisHash)} from {expectedFrom}): "
                + "the chain was started again under the same id, or the genesis differs; nothing was sent to it. "
                + "Set up for the chain that node serves with 'dkms config init --genesis FILE --node URL --force'", "WrongChain");
        }
    }

    private static string Short(string hash) => hash.Length > 16 ? hash[..16] : hash;

    private static async Task<(string? ChainId, string? GenesisHash)> ChainOfAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            using var body = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false), cancellationToken: ct).ConfigureAwait(false);
            if (body.RootElement.ValueKind != JsonValueKind.Object
                || !body.RootElement.TryGetProperty("result", out var result) || result.ValueKind != JsonValueKind.Object)
            {
                return (null, null);
            }

            return (StringOf(result, "chainId"), StringOf(result, "genesisHash"));
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }

    private static string? StringOf(JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    protected override void Dispose(bool disposing)
    {
        if (disposing) _once.Dispose();
        base.Dispose(disposing);
    }
}
