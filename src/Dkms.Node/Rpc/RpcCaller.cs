using Dkms.Rpc;

namespace Dkms.Node.Rpc;

/// <summary>
/// Who sent one request (a single call or a batch): whether it may call the methods that change state, and whether
/// one of its calls was refused for want of that (the answer is then HTTP 401).
/// </summary>
public sealed class RpcCaller
{
    /// <summary>A caller that may call every method (a node without a token, or a request that presented it).</summary>
    public static RpcCaller Trusted() => new() { MayChangeState = true };

    public bool MayChangeState { get; init; }

    /// <summary>Set when a call of this request was refused because it changes state and the caller may not.</summary>
    public bool Refused { get; private set; }

    /// <summary>Methods that change the node's state: submissions, and every <c>admin.*</c> method, present or future.
    /// Everything else only reads and stays open.</summary>
    public static bool ChangesState(string method) =>
        method is RpcMethods.Submit or RpcMethods.SubmitBatch || method.StartsWith("admin.", StringComparison.Ordinal);

    internal RpcError Refuse(string method)
    {
        Refused = true;
        return new RpcError(RpcErrorCodes.Unauthorized, $"method '{method}' changes state and needs the node's token (header 'Authorization: Bearer TOKEN')");
    }
}
