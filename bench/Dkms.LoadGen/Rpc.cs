using System.Buffers;
using System.Net;
using System.Text.Json;
using Dkms.Rpc;

namespace Dkms.LoadGen;

/// <summary>One item of a <c>tx.submitBatch</c> answer.</summary>
public readonly record struct ItemResult(string Status, string? Code);

/// <summary>
/// A lean JSON-RPC poster for the hot path: the transactions are base64 already, the request is written
/// with Utf8JsonWriter and the answer read with JsonDocument (no per-call reflection). One instance per
/// connection (one HTTP/1.1 connection to one node).
/// </summary>
public sealed class RawRpc : IDisposable
{
    private readonly HttpClient _http;
    private long _id;

    /// <summary>TLS trust and token for every connection of the run (<c>--rpc-ca</c>, <c>--rpc-token-file</c>).</summary>
    public static Dkms.Client.RpcConnection Connection { get; set; } = new();

    public RawRpc(Uri node, int connections = 1, TimeSpan? timeout = null)
    {
        Node = node;
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            AutomaticDecompression = DecompressionMethods.None,
        };
        Connection.ConfigureHandler(handler);
        _http = new HttpClient(handler) { BaseAddress = node, Timeout = timeout ?? TimeSpan.FromSeconds(60) };
        Connection.ConfigureClient(_http);
    }

    public Uri Node { get; }

    /// <summary>Submits the transactions in one <c>tx.submitBatch</c>; throws <see cref="RpcCallException"/> on a call-level error.</summary>
    public async Task<ItemResult[]> SubmitBatchAsync(IReadOnlyList<Entry> txs, string mode, CancellationToken ct)
    {
        var buffer = new ArrayBufferWriter<byte>(txs.Count * 512 + 128);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("jsonrpc", "2.0");
            w.WriteNumber("id", Interlocked.Increment(ref _id));
            w.WriteString("method", RpcMethods.SubmitBatch);
            w.WriteStartObject("params");
            w.WriteStartArray("txs");
            foreach (var tx in txs) w.WriteStringValue(tx.Base64);
            w.WriteEndArray();
            w.WriteString("mode", mode);
            w.WriteEndObject();
            w.WriteEndObject();
        }

        using var doc = await PostAsync(buffer.WrittenMemory, ct).ConfigureAwait(false);
        var result = Result(doc.RootElement);
        var items = new ItemResult[txs.Count];
        var n = 0;
        foreach (var item in result.EnumerateArray())
        {
            if (n >= items.Length) break;
            var status = item.GetProperty("status").GetString() ?? "";
            var code = item.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
            items[n++] = new ItemResult(status, code);
        }

        if (n != items.Length) throw new RpcCallException(0, $"submitBatch answered {n} items for {items.Length}");
        return items;
    }

    /// <summary>Asks <c>tx.status</c> of many hashes in one JSON-RPC batch request (at most 1,000 per request).</summary>
    public async Task<string[]> StatusManyAsync(IReadOnlyList<string> hashes, CancellationToken ct)
    {
        var statuses = new string[hashes.Count];
        for (var first = 0; first < hashes.Count; first += 1000)
        {
            var count = Math.Min(1000, hashes.Count - first);
            var buffer = new ArrayBufferWriter<byte>(count * 128);
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartArray();
                for (var k = 0; k < count; k++)
                {
                    w.WriteStartObject();
                    w.WriteString("jsonrpc", "2.0");
                    w.WriteNumber("id", first + k);
                    w.WriteString("method", RpcMethods.Status);
                    w.WriteStartObject("params");
                    w.WriteString("hash", hashes[first + k]);
                    w.WriteEndObject();
                    w.WriteEndObject();
                }

                w.WriteEndArray();
            }

            using var doc = await PostAsync(buffer.WrittenMemory, ct).ConfigureAwait(false);
            foreach (var answer in doc.RootElement.EnumerateArray())
            {
                var id = answer.GetProperty("id").GetInt32();
                string status;
                if (answer.TryGetProperty("result", out var r))
                {
                    status = r.GetProperty("status").GetString() ?? "?";
                    if (r.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String) status += ":" + c.GetString();
                }
                else
                {
                    status = "error";
                }

                if (id >= 0 && id < hashes.Count) statuses[id] = status;
            }
        }

        return statuses;
    }

    /// <summary>One call; returns a clone of its <c>result</c>.</summary>
    public async Task<JsonElement> CallAsync(string method, Action<Utf8JsonWriter>? writeParams, CancellationToken ct)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("jsonrpc", "2.0");
            w.WriteNumber("id", Interlocked.Increment(ref _id));
            w.WriteString("method", method);
            if (writeParams is not null)
            {
                w.WriteStartObject("params");
                writeParams(w);
                w.WriteEndObject();
            }

            w.WriteEndObject();
        }

        using var doc = await PostAsync(buffer.WrittenMemory, ct).ConfigureAwait(false);
        return Result(doc.RootElement).Clone();
    }

    private async Task<JsonDocument> PostAsync(ReadOnlyMemory<byte> body, CancellationToken ct)
    {
        using var content = new ReadOnlyMemoryContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var response = await _http.PostAsync("", content, ct).ConfigureAwait(false);
        var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            try
            {
                return await JsonDocument.ParseAsync(stream, default, ct).ConfigureAwait(false);
            }
            catch (JsonException e)
            {
                throw new RpcCallException(0, $"HTTP {(int)response.StatusCode} without JSON: {e.Message}");
            }
        }
    }

    private static JsonElement Result(JsonElement root)
    {
        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("error", out var error))
        {
            var code = error.TryGetProperty("code", out var c) && c.TryGetInt32(out var ci) ? ci : 0;
            var message = error.TryGetProperty("message", out var m) ? m.GetString() ?? "" : "";
            throw new RpcCallException(code, message);
        }

        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("result", out var result))
        {
            throw new RpcCallException(0, "answer has neither result nor error");
        }

        return result;
    }

    public void Dispose() => _http.Dispose();
}

public sealed class RpcCallException(int code, string message) : Exception(message)
{
    public int Code { get; } = code;
}
