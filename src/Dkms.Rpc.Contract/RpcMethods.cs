namespace Dkms.Rpc;

/// <summary>JSON-RPC method names of the node (docs/rpc.md describes each).</summary>
public static class RpcMethods
{
    public const string Submit = "tx.submit";
    public const string SubmitBatch = "tx.submitBatch";
    public const string Status = "tx.status";
    public const string Resolve = "identity.resolve";
    public const string Events = "identity.events";
    public const string CheckKey = "identity.checkKey";
    public const string Policy = "policy.get";
    public const string CheckAuthorization = "policy.check";
    public const string Block = "block.get";
    public const string NodeStatus = "node.status";
    public const string Validators = "node.validators";
    public const string ValidatorHistory = "chain.validatorHistory";
}

/// <summary>JSON-RPC error codes: the standard ones, then the node's own (-32000 and below).</summary>
public static class RpcErrorCodes
{
    public const int ParseError = -32700;
    public const int InvalidRequest = -32600;
    public const int MethodNotFound = -32601;
    public const int InvalidParams = -32602;
    public const int InternalError = -32603;

    /// <summary>The transaction was refused; <c>data</c> carries the ledger's code and message.</summary>
    public const int TransactionRejected = -32000;

    /// <summary>The mempool is full: back off and retry later.</summary>
    public const int MempoolFull = -32001;

    /// <summary>What was asked for does not exist (identity, block, policy).</summary>
    public const int NotFound = -32002;

    /// <summary>A <c>commit</c> submission did not reach a block within its timeout (it may still commit).</summary>
    public const int CommitTimeout = -32003;

    /// <summary>The height asked for is beyond the chain or older than the proofs the node keeps.</summary>
    public const int HeightUnavailable = -32004;

    /// <summary>The node is shutting down or not ready.</summary>
    public const int Unavailable = -32005;

    /// <summary>The request (a batch) asks the node to read more history than one request may: send the rest in another.</summary>
    public const int RequestOverBudget = -32006;

    /// <summary>A method that changes state was called without the node's bearer token, or with a wrong one (HTTP 401).</summary>
    public const int Unauthorized = -32010;

    /// <summary>This connection sent requests faster than the node's per-connection rate (HTTP 429): slow down.</summary>
    public const int TooManyRequests = -32011;

    /// <summary>The request's <c>Content-Type</c> is not <c>application/json</c> (HTTP 415).</summary>
    public const int UnsupportedMediaType = -32012;

    /// <summary>The node is an observer: it serves reads and takes no transactions; submit to a validator.</summary>
    public const int ObserverNode = -32020;
}

/// <summary>How long <see cref="RpcMethods.Submit"/> waits before answering.</summary>
public static class SubmitModes
{
    /// <summary>Answer once the transaction is accepted into the mempool (it may still be rejected later).</summary>
    public const string Async = "async";

    /// <summary>Answer after full validation against the committed state (decoding, signatures, rules).</summary>
    public const string Sync = "sync";

    /// <summary>Answer once the transaction is in a committed block, or with a timeout error.</summary>
    public const string Commit = "commit";
}
