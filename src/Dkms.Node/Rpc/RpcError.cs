namespace Dkms.Node.Rpc;

/// <summary>Thrown by a method handler to answer with a JSON-RPC error (never a stack trace).</summary>
public sealed class RpcError(int code, string message, object? data = null) : Exception(message)
{
    public int Code { get; } = code;

    public object? ErrorData { get; } = data;
}
