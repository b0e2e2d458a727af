using System.Text.Json;
using System.Text.Json.Nodes;
using Dkms.Client.Rpc;
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

    private readonly Dictionary<string, Func<JsonElement?, CancellationToken, Task<object?>>> _methods = new(StringComparer.Ordinal);
    private readonly ILogger _logger;

    public JsonRpcDispatcher(ILogger<JsonRpcDispatcher> logger) => _logger = logger;

    /// <summary>Registers a method whose params deserialize into <typeparamref name="TParams"/>.</summary>
    public void Add<TParams, TResult>(string name, Func<TParams, CancellationToken, Task<TResult>> handler, bool paramsRequired = true)
        where TParams : class
    {
        _methods[name] = async (element, ct) =>
        {
            TParams? p = null;
            if (element is { ValueKind: not JsonValueKind.Null } e)
            {
                if (e.ValueKind != JsonValueKind.Object) throw new RpcError(RpcErrorCodes.InvalidParams, "params must be an object with named members");
                try
                {
                    p = e.Deserialize<TParams>(RpcJson.Options);
                }
                catch (JsonException x)
                {
                    throw new RpcError(RpcErrorCodes.InvalidParams, $"invalid params: {Explain(x)}");
                }
            }

            if (p is null)
            {
                if (paramsRequired) throw new RpcError(RpcErrorCodes.InvalidParams, $"method '{name}' needs params");
                p = (TParams)Activator.CreateInstance(typeof(TParams), nonPublic: false)!;
            }

            return await handler(p, ct).ConfigureAwait(false);
        };
    }

    /// <summary>Answers a request body: the JSON text to send back, or null when nothing is to be sent (only notifications).</summary>
    public async Task<string?> HandleAsync(ReadOnlyMemory<byte> body, CancellationToken ct)
    {
        JsonNode? root;
        try
        {
            // Duplicate members are refused here: JsonObject would throw on first access, outside any handler.
            root = JsonNode.Parse(body.Span.Length == 0 ? "null"u8 : body.Span, documentOptions: StrictDocument);
        }
        catch (JsonException e)
        {
            return Serialize(Error(null, RpcErrorCodes.ParseError, $"parse error: {Explain(e)}"));
        }

        if (root is JsonArray batch)
        {
            if (batch.Count == 0) return Serialize(Error(null, RpcErrorCodes.InvalidRequest, "empty batch"));
            if (batch.Count > MaxBatch) return Serialize(Error(null, RpcErrorCodes.InvalidRequest, $"batch of {batch.Count} requests; at most {MaxBatch}"));
            var answers = new JsonArray();
            foreach (var item in batch)
            {
                if (await HandleOneAsync(item, ct).ConfigureAwait(false) is { } answer) answers.Add(answer);
            }

            return answers.Count == 0 ? null : Serialize(answers);
        }

        return await HandleOneAsync(root, ct).ConfigureAwait(false) is { } single ? Serialize(single) : null;
    }

    private async Task<JsonObject?> HandleOneAsync(JsonNode? node, CancellationToken ct)
    {
        if (node is not JsonObject request) return Error(null, RpcErrorCodes.InvalidRequest, "a request must be a JSON object");
        var hasId = request.TryGetPropertyValue("id", out var idNode);
        var id = idNode?.DeepClone();
        if (id is not null && id.GetValueKind() is not (JsonValueKind.String or JsonValueKind.Number))
        {
            return Error(null, RpcErrorCodes.InvalidRequest, "id must be a string, a number or null");
        }

        if (request["jsonrpc"]?.GetValueKind() != JsonValueKind.String || (string?)request["jsonrpc"] != "2.0")
        {
            return Error(id, RpcErrorCodes.InvalidRequest, "jsonrpc must be \"2.0\"");
        }

        if (request["method"] is not JsonValue m || m.GetValueKind() != JsonValueKind.String)
        {
            return Error(id, RpcErrorCodes.InvalidRequest, "method must be a string");
        }

        var method = (string)m!;
        if (!_methods.TryGetValue(method, out var handler)) return hasId ? Error(id, RpcErrorCodes.MethodNotFound, $"method '{method}' does not exist") : null;

        JsonElement? parameters = request["params"] is { } p ? JsonSerializer.SerializeToElement(p) : null;
        try
        {
            var result = await handler(parameters, ct).ConfigureAwait(false);
            if (!hasId) return null;
            return new JsonObject
            {
                ["jsonrpc"] = "2.0",
                ["id"] = id,
                ["result"] = JsonSerializer.SerializeToNode(result, result?.GetType() ?? typeof(object), RpcJson.Options),
            };
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

    private static JsonObject Error(JsonNode? id, int code, string message, object? data = null)
    {
        var error = new JsonObject { ["code"] = code, ["message"] = message };
        if (data is not null) error["data"] = JsonSerializer.SerializeToNode(data, data.GetType(), RpcJson.Options);
        return new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id, ["error"] = error };
    }

    private static string Serialize(JsonNode node) => node.ToJsonString(RpcJson.Options);

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
