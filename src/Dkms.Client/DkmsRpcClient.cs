using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Rpc;

namespace Dkms.Client;

/// <summary>
/// Typed client of one node's JSON-RPC endpoint. Thread-safe; one instance per node is enough.
/// Node errors surface as <see cref="RpcException"/> with the JSON-RPC code and message.
/// </summary>
public sealed class DkmsRpcClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private long _nextId;

    public DkmsRpcClient(Uri endpoint, TimeSpan? timeout = null)
        : this(new HttpClient { BaseAddress = endpoint, Timeout = timeout ?? TimeSpan.FromSeconds(60) }, ownsHttp: true)
    {
    }

    /// <summary>Over TLS with a given CA and/or with the node's bearer token (<see cref="RpcConnection"/>).</summary>
    public DkmsRpcClient(Uri endpoint, RpcConnection connection)
        : this(connection.CreateHttpClient(endpoint), ownsHttp: true)
    {
    }

    /// <summary>Uses <paramref name="http"/>, whose <c>BaseAddress</c> is the node's RPC root.</summary>
    public DkmsRpcClient(HttpClient http, bool ownsHttp = false)
    {
        _http = http;
        _ownsHttp = ownsHttp;
    }

    public Uri? Endpoint => _http.BaseAddress;

    public Task<SubmitResult> SubmitAsync(Transaction tx, string mode = SubmitModes.Sync, int? timeoutMs = null, CancellationToken ct = default) =>
        CallAsync<SubmitResult>(RpcMethods.Submit, new SubmitParams(Convert.ToBase64String(tx.Encoded), mode, timeoutMs), ct);

    /// <summary>Submits many transactions in one request; one result per transaction, in order.</summary>
    public Task<SubmitResult[]> SubmitBatchAsync(IEnumerable<byte[]> encodedTxs, string mode = SubmitModes.Async, int? timeoutMs = null, CancellationToken ct = default) =>
        CallAsync<SubmitResult[]>(RpcMethods.SubmitBatch, new SubmitBatchParams([.. encodedTxs.Select(Convert.ToBase64String)], mode, timeoutMs), ct);

    public Task<TxStatusResult> StatusAsync(Hash32 hash, CancellationToken ct = default) =>
        CallAsync<TxStatusResult>(RpcMethods.Status, new HashParams(hash.ToHex()), ct);

    public Task<ResolveResult> ResolveAsync(IdentityId id, ulong? height = null, bool proof = false, CancellationToken ct = default) =>
        CallAsync<ResolveResult>(RpcMethods.Resolve, new ResolveParams(id.ToString(), height, proof), ct);

    public Task<EventView[]> EventsAsync(IdentityId id, ulong? fromSequence = null, int? limit = null, CancellationToken ct = default) =>
        CallAsync<EventView[]>(RpcMethods.Events, new EventsParams(id.ToString(), fromSequence, limit), ct);

    public Task<CheckKeyResult> CheckKeyAsync(IdentityId id, PublicKey key, ulong height, CancellationToken ct = default) =>
        CallAsync<CheckKeyResult>(RpcMethods.CheckKey, new CheckKeyParams(id.ToString(), key.ToHex(), height), ct);

    public Task<PolicyResult> PolicyAsync(IdentityId owner, string policyId, ulong? height = null, bool proof = false, CancellationToken ct = default) =>
        CallAsync<PolicyResult>(RpcMethods.Policy, new PolicyParams(owner.ToString(), policyId, height, proof), ct);

    public Task<CheckAuthorizationResult> CheckAuthorizationAsync(IdentityId owner, string policyId, PublicKey agent, AgentRights rights, ulong? height = null, CancellationToken ct = default) =>
        CallAsync<CheckAuthorizationResult>(RpcMethods.CheckAuthorization, new CheckAuthorizationParams(owner.ToString(), policyId, agent.ToHex(), rights.ToString(), height), ct);

    public Task<BlockResult> BlockAsync(ulong height, CancellationToken ct = default) =>
        CallAsync<BlockResult>(RpcMethods.Block, new BlockParams(height), ct);

    public Task<NodeStatusResult> NodeStatusAsync(CancellationToken ct = default) =>
        CallAsync<NodeStatusResult>(RpcMethods.NodeStatus, null, ct);

    public Task<ValidatorsResult> ValidatorsAsync(ulong? height = null, CancellationToken ct = default) =>
        CallAsync<ValidatorsResult>(RpcMethods.Validators, new ValidatorsParams(height), ct);

    /// <summary>The committed validator-set changes after <paramref name="fromSequence"/>, each with its proof (unverified: see
    /// <see cref="ValidatorHistory"/>); with <paramref name="newest"/>, only the newest of them.</summary>
    public Task<ValidatorHistoryResult> ValidatorHistoryAsync(ulong fromSequence, int? limit = null, bool newest = false, CancellationToken ct = default) =>
        CallAsync<ValidatorHistoryResult>(RpcMethods.ValidatorHistory, new ValidatorHistoryParams(fromSequence, limit, newest ? true : null), ct);

    /// <summary>Calls <paramref name="method"/> with <paramref name="parameters"/> (an object, or null for none).</summary>
    public async Task<T> CallAsync<T>(string method, object? parameters, CancellationToken ct = default)
    {
        var request = new JsonObject
        {
            ["jsonrpc"] = "2.0",
            ["id"] = Interlocked.Increment(ref _nextId),
            ["method"] = method,
        };
        if (parameters is not null) request["params"] = JsonSerializer.SerializeToNode(parameters, parameters.GetType(), RpcJson.Options);

        HttpResponseMessage response;
        try
        {
            response = await _http.PostAsJsonAsync("", request, RpcJson.Options, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new RpcException(0, $"cannot reach the node at {_http.BaseAddress}: {e.Message}", inner: e);
        }
        catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new RpcException(0, $"the node at {_http.BaseAddress} did not answer in time", inner: e);
        }

        using (response)
        {
            JsonElement body;
            try
            {
                body = await response.Content.ReadFromJsonAsync<JsonElement>(RpcJson.Options, ct).ConfigureAwait(false);
            }
            catch (JsonException e)
            {
                throw new RpcException(0, $"the node answered HTTP {(int)response.StatusCode} without a JSON-RPC body", inner: e);
            }

            if (body.ValueKind == JsonValueKind.Object && body.TryGetProperty("error", out var error))
            {
                var code = error.TryGetProperty("code", out var c) && c.TryGetInt32(out var ci) ? ci : RpcErrorCodes.InternalError;
                var message = error.TryGetProperty("message", out var m) ? m.GetString() ?? "" : "";
                JsonElement? data = error.TryGetProperty("data", out var d) ? d.Clone() : null;
                throw new RpcException(code, message, data);
            }

            if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty("result", out var result))
            {
                throw new RpcException(0, "the node's answer has neither result nor error");
            }

            return result.Deserialize<T>(RpcJson.Options) ?? throw new RpcException(0, "the node's result is null");
        }
    }

    public void Dispose()
    {
        if (_ownsHttp) _http.Dispose();
    }
}
