using Dkms.Rpc;

namespace Dkms.Node.Rpc;

/// <summary>Thrown by a method handler to answer with a JSON-RPC error (never a stack trace); <c>data</c>, when given,
/// is a contract record (serialized by generated code, as every answer).</summary>
public sealed class RpcError(int code, string message, TxErrorData? data = null) : Exception(message)
{
    public int Code { get; } = code;

    public TxErrorData? ErrorData { get; } = data;
}
