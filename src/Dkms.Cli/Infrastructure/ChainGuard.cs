using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Dkms.Cli.Infrastructure;

/// <summary>
/// Sits under the RPC client: before the first request of a run reaches the node, asks the node which chain it serves
/// and refuses (exit code 8, <c>WrongChain</c>) a node of a chain other than the one this CLI knows. So nothing —
/// no transaction signed for our chain, no question about our identities — goes to a mistyped <c>--node</c> or to
/// whatever happens to listen on the default port, and no answer of another chain is shown as ours.
/// </summary>
internal sealed class ChainGuard(string expectedChainId, string expectedFrom, HttpMessageHandler inner) : DelegatingHandler(inner)
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
        var chainId = await ChainIdOfAsync(response, ct).ConfigureAwait(false)
            ?? throw new CliException(ExitCodes.NodeUnavailable,
                $"the node at {node} did not say which chain it serves (node.status answered HTTP {(int)response.StatusCode}); nothing was sent to it", "NodeUnreachable");
        if (chainId != expectedChainId)
        {
            throw new CliException(ExitCodes.WrongChain,
                $"the node at {node} serves chain '{chainId}', but this client is set up for chain '{expectedChainId}' ({expectedFrom}); nothing was sent to it. "
                + "Give the --node of a node of that chain, or set up for the other chain with 'dkms config init --genesis FILE --node URL --force'", "WrongChain");
        }
    }

    private static async Task<string?> ChainIdOfAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            using var body = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false), cancellationToken: ct).ConfigureAwait(false);
            return body.RootElement.ValueKind == JsonValueKind.Object
                && body.RootElement.TryGetProperty("result", out var result) && result.ValueKind == JsonValueKind.Object
                && result.TryGetProperty("chainId", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _once.Dispose();
        base.Dispose(disposing);
    }
}
