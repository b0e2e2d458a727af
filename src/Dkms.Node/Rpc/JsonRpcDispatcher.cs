using System.Text.Json;
using System.Text.Json.Nodes;
using Dkms.Rpc;
using Microsoft.Extensions.Logging;

namespace Dkms.Node.Rpc;

/// <summary>
/// JSON-RPC 2.0 over one request body: a single call or a batch. Each method takes its params object
/// as a typed record; anything malformed gets the standard error code with a message saying what is
/// wrong. Notifications (no id) are executed and not answered.
/// </summary>
public sealed partial class JsonRpcDispatcher
{
    public const int MaxBatch = 1_000;

    private static readonly JsonDocumentOptions StrictDocument = new() { AllowDuplicateProperties = false };

    private readonly Dictionary<string, Func<JsonElement?, RequestBudget, CancellationToken, Task<object?>>> _methods = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (Type Params, Type Result)> _types = new(StringComparer.Ordinal);
    private readonly ILogger _logger;

    public JsonRpcDispatcher(ILogger<JsonRpcDispatcher> logger) => _logger = logger;

    /// <summary>Registers a method whose params deserialize into <typeparamref name="TParams"/>. Omitted or null params
    /// are read as <c>{}</c>: a method whose members are all optional answers, one with a required member (a
    /// constructor parameter without a default) gets invalid params naming it.</summary>
    public void Add<TParams, TResult>(string name, Func<TParams, CancellationToken, Task<TResult>> handler)
        where TParams : class =>
        Add<TParams, TResult>(name, (p, _, ct) => handler(p, ct));

    /// <summary>As the other overload, for a method that charges what it reads to the request's <see cref="RequestBudget"/>
    /// (one per request, shared by a batch's calls).</summary>
    public void Add<TParams, TResult>(string name, Func<TParams, RequestBudget, CancellationToken, Task<TResult>> handler)
        where TParams : class
    {
        _types[name] = (typeof(TParams), typeof(TResult));
        _methods[name] = async (element, budget, ct) =>
        {
            var omitted = element is not { ValueKind: not JsonValueKind.Null };
            if (!omitted && element!.Value.ValueKind != JsonValueKind.Object) throw new RpcError(RpcErrorCodes.InvalidParams, "params must be an object with named members");
            TParams? p;
            try
            {
                p = omitted ? JsonSerializer.Deserialize<TParams>("{}"u8, ParamsOptions) : element!.Value.Deserialize<TParams>(ParamsOptions);
            }
            catch (JsonException x)
            {
                throw new RpcError(RpcErrorCodes.InvalidParams, omitted ? $"method '{name}' needs params: {Explain(x)}" : $"invalid params: {Explain(x)}");
            }

            return await handler(p ?? throw new RpcError(RpcErrorCodes.InvalidParams, $"method '{name}' needs params"), budget, ct).ConfigureAwait(false);
        };
    }

    /// <summary>Counts the bodies that are not JSON (parse errors), for the metrics; null in tests that need no count.</summary>
    public RpcClientFaults? Faults { get; set; }

    /// <summary>The methods registered, by name.</summary>
    public IReadOnlyCollection<string> Methods => _methods.Keys;

    /// <summary>The params and result types of each registered method (each must resolve through
    /// <see cref="NodeRpcJson.Options"/>' generated code).</summary>
    public IReadOnlyDictionary<string, (Type Params, Type Result)> Types => _types;

    /// <summary>The RPC's JSON settings, and a member the params record cannot do without must be present (otherwise
    /// a missing <c>height</c> would silently read as 0).</summary>
    private static readonly JsonSerializerOptions ParamsOptions = new(NodeRpcJson.Options) { RespectRequiredConstructorParameters = true };

    /// <summary>Answers a request body: the JSON text to send back, or null when nothing is to be sent (only notifications).</summary>
    public async Task<string?> HandleAsync(ReadOnlyMemory<byte> body, RpcCaller caller, CancellationToken ct)
    {
        // Parsed once; params deserialize straight from this document (a batch of 10,000 transactions is
        // not copied into a node tree and back).
        // JSON text is UTF-8 (RFC 8259). The parser does not check the bytes inside strings: they would fail later, when a
        // string is read (an InvalidOperationException, an HTTP 500 with an empty body), so they are checked here, once.
        if (!System.Text.Unicode.Utf8.IsValid(body.Span))
        {
            Faults?.Counted("parse_error");
            return Serialize([Error(null, RpcErrorCodes.ParseError, "parse error: the body is not valid UTF-8")], batch: false);
        }

        JsonDocument document;
        try
        {
            // Duplicate members are refused here, as a parse error.
            document = JsonDocument.Parse(body.Length == 0 ? "null"u8.ToArray() : body, StrictDocument);
        }
        catch (JsonException e)
        {
            Faults?.Counted("parse_error");
            return Serialize([Error(null, RpcErrorCodes.ParseError, $"parse error: {Explain(e)}")], batch: false);
        }

        using (document)
        {
            var root = document.RootElement;
            var budget = new RequestBudget();
            if (root.ValueKind == JsonValueKind.Array)
            {
                var count = root.GetArrayLength();
                if (count == 0) return Serialize([Error(null, RpcErrorCodes.InvalidRequest, "empty batch")], batch: false);
                if (count > MaxBatch) return Serialize([Error(null, RpcErrorCodes.InvalidRequest, $"batch of {count} requests; at most {MaxBatch}")], batch: false);
                var answers = new List<Answer>();
                foreach (var item in root.EnumerateArray())
                {
                    if (await HandleOneAsync(item, budget, caller, ct).ConfigureAwait(false) is { } answer) answers.Add(answer);
                }

                return answers.Count == 0 ? null : Serialize(answers, batch: true);
            }

            return await HandleOneAsync(root, budget, caller, ct).ConfigureAwait(false) is { } single ? Serialize([single], batch: false) : null;
        }
    }

    private async Task<Answer?> HandleOneAsync(JsonElement request, RequestBudget budget, RpcCaller caller, CancellationToken ct)
    {
        if (request.ValueKind != JsonValueKind.Object) return Error(null, RpcErrorCodes.InvalidRequest, "a request must be a JSON object");
        var hasId = request.TryGetProperty("id", out var idElement);
        if (hasId && idElement.ValueKind is not (JsonValueKind.String or JsonValueKind.Number or JsonValueKind.Null))
        {
            return Error(null, RpcErrorCodes.InvalidRequest, "id must be a string, a number or null");
        }

        var id = hasId && idElement.ValueKind != JsonValueKind.Null ? JsonSerializer.SerializeToNode(idElement) : null;
        if (!request.TryGetProperty("jsonrpc", out var version) || version.ValueKind != JsonValueKind.String || version.GetString() != "2.0")
        {
            return Error(id, RpcErrorCodes.InvalidRequest, "jsonrpc must be \"2.0\"");
        }

        if (!request.TryGetProperty("method", out var m) || m.ValueKind != JsonValueKind.String)
        {
            return Error(id, RpcErrorCodes.InvalidRequest, "method must be a string");
        }

        var method = m.GetString()!;
        if (!_methods.TryGetValue(method, out var handler)) return hasId ? Error(id, RpcErrorCodes.MethodNotFound, $"method '{method}' does not exist") : null;

        JsonElement? parameters = request.TryGetProperty("params", out var p) ? p : null;
        try
        {
            if (!caller.MayChangeState && RpcCaller.ChangesState(method)) throw caller.Refuse(method);
            var result = await handler(parameters, budget, ct).ConfigureAwait(false);
            if (!hasId) return null;
            // Serialized here, inside the handler's try: a result that cannot be written is this call's internal error.
            return new Answer(id, JsonSerializer.SerializeToUtf8Bytes(result, result?.GetType() ?? typeof(object), NodeRpcJson.Options), null);
        }
        catch (RpcError e)
        {
            return hasId ? Error(id, e.Code, e.Message, e.ErrorData) : null;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            LogHandlerFailed(_logger, method, e);
            return hasId ? Error(id, RpcErrorCodes.InternalError, $"internal error in '{method}'") : null;
        }
    }

    private static Answer Error(JsonNode? id, int code, string message, TxErrorData? data = null)
    {
        var error = new JsonObject { ["code"] = code, ["message"] = message };
        if (data is not null) error["data"] = JsonSerializer.SerializeToNode(data, NodeRpcJson.Options);
        return new Answer(id, null, error);
    }

    /// <summary>One response object: a result, or an error.</summary>
    private sealed record Answer(JsonNode? Id, byte[]? Result, JsonObject? Error);

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = NodeRpcJson.Options.Encoder };

    /// <summary>The response text. A result is serialized straight into the text, not first into a tree of JSON nodes
    /// that is then written out: for a proof-carrying answer the tree cost several times the serialization itself.</summary>
    private static string Serialize(List<Answer> answers, bool batch)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            if (batch) w.WriteStartArray();
            foreach (var a in answers)
            {
                w.WriteStartObject();
                w.WriteString("jsonrpc", "2.0");
                w.WritePropertyName("id");
                if (a.Id is null) w.WriteNullValue();
                else a.Id.WriteTo(w, NodeRpcJson.Options);
                if (a.Error is not null)
                {
                    w.WritePropertyName("error");
                    a.Error.WriteTo(w, NodeRpcJson.Options);
                }
                else
                {
                    w.WritePropertyName("result");
                    w.WriteRawValue(a.Result!, skipInputValidation: true);
                }

                w.WriteEndObject();
            }

            if (batch) w.WriteEndArray();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>The parser's message without internal type names.</summary>
    private static string Explain(JsonException e)
    {
        var msg = e.Message;
        var cut = msg.IndexOf(" Path:", StringComparison.Ordinal);
        var where = e.Path is { Length: > 0 } path ? $" (at {path})" : "";
        return QualifiedTypeName().Replace(cut > 0 ? msg[..cut] : msg, "") + where;
    }

    /// <summary>The namespace (and enclosing type) of a type name, e.g. <c>Dkms.Node.Rpc.NodeRpc+</c>.</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"\bDkms\.[\w.+]*[.+]")]
    private static partial System.Text.RegularExpressions.Regex QualifiedTypeName();

    [LoggerMessage(Level = LogLevel.Error, Message = "RPC method {Method} failed")]
    private static partial void LogHandlerFailed(ILogger logger, string method, Exception e);
}
