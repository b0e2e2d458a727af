using System.Text.Json;
using Dkms.Rpc;

namespace Dkms.Client;

/// <summary>A JSON-RPC error answered by the node, or a failure to reach it (<see cref="Code"/> 0).</summary>
public sealed class RpcException : Exception
{
    public RpcException(int code, string message, JsonElement? data = null, Exception? inner = null) : base(message, inner)
    {
        Code = code;
        Data = data;
    }

    public int Code { get; }

    public new JsonElement? Data { get; }

    public bool IsMempoolFull => Code == RpcErrorCodes.MempoolFull;

    /// <summary>The ledger's error code (e.g. "BadSequence") when the node rejected a transaction.</summary>
    public string? RejectionCode => Data is { ValueKind: JsonValueKind.Object } d && d.TryGetProperty("code", out var c) ? c.GetString() : null;
}
