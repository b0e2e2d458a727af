using System.Text.Json;
using Dkms.Client;
using Dkms.Core.Genesis;
using Dkms.Rpc;
using Dkms.Wallet.Encryption;
using Dkms.Wallet.Shamir;
using Dkms.Wallet.Storage;

namespace Dkms.Cli.Infrastructure;

/// <summary>Maps what a handler throws to an exit code, a machine-readable code and a message for people.</summary>
internal static class Errors
{
    public static (int ExitCode, string Code, string Message) Classify(Exception e) => e switch
    {
        CliException c => (c.ExitCode, c.Code ?? "Error", c.Message),
        RpcException r => Rpc(r),
        VerificationException v => (ExitCodes.VerificationFailed, "ProofInvalid", $"the node's answer does not verify: {v.Message}"),
        WalletException w => (ExitCodes.WalletLocked, w.Error.ToString(), WalletMessage(w)),
        ShareException s => (s.Error is ShareError.InvalidParameters ? ExitCodes.Usage : ExitCodes.VerificationFailed, s.Error.ToString(), $"shares: {s.Message}"),
        DecryptionException d => (ExitCodes.VerificationFailed, "DecryptionFailed", d.Message),
        GenesisException g => (ExitCodes.Usage, "BadGenesis", g.Message),
        FormatException f => (ExitCodes.Usage, "Usage", f.Message),
        ArgumentException a => (ExitCodes.Usage, "Usage", a.Message),
        FileNotFoundException f => (ExitCodes.Usage, "Usage", f.Message),
        DirectoryNotFoundException d => (ExitCodes.Usage, "Usage", d.Message),
        IOException io => (ExitCodes.Internal, "IO", io.Message),
        UnauthorizedAccessException u => (ExitCodes.Internal, "IO", u.Message),
        OperationCanceledException => (ExitCodes.Internal, "Cancelled", "cancelled"),
        _ => (ExitCodes.Internal, "Internal", $"unexpected error: {e.GetType().Name}: {e.Message}"),
    };

    private static string WalletMessage(WalletException w) => w.Error switch
    {
        WalletError.WrongKeyOrTampered => "wrong passphrase (or the wallet header was altered)",
        WalletError.Tampered => "the wallet file was altered: its content does not authenticate",
        _ => $"wallet: {w.Message}",
    };

    private static (int, string, string) Rpc(RpcException r) => r.Code switch
    {
        0 => (ExitCodes.NodeUnavailable, "NodeUnreachable", r.Message),
        RpcErrorCodes.MempoolFull => (ExitCodes.NodeUnavailable, "MempoolFull", $"the node's mempool is full; retry later ({r.Message})"),
        RpcErrorCodes.CommitTimeout => (ExitCodes.NodeUnavailable, "CommitTimeout", r.Message),
        RpcErrorCodes.Unavailable => (ExitCodes.NodeUnavailable, "Unavailable", $"the node is not ready: {r.Message}"),
        RpcErrorCodes.TransactionRejected => (ExitCodes.Rejected, r.RejectionCode ?? "Rejected", $"rejected by the ledger: {r.RejectionCode}: {RejectionMessage(r)}"),
        RpcErrorCodes.NotFound or RpcErrorCodes.HeightUnavailable => (ExitCodes.NotFound, "NotFound", r.Message),
        RpcErrorCodes.InvalidParams => (ExitCodes.Usage, "InvalidParams", $"the node refused the request: {r.Message}"),
        RpcErrorCodes.Unauthorized => (ExitCodes.Usage, "Unauthorized", $"the node refused: {r.Message}; give its token with --rpc-token-file"),
        RpcErrorCodes.TooManyRequests => (ExitCodes.NodeUnavailable, "TooManyRequests", $"the node is busy: {r.Message}"),
        _ => (ExitCodes.Internal, "RpcError", $"node error {r.Code}: {r.Message}"),
    };

    private static string RejectionMessage(RpcException r) =>
        r.Data is { ValueKind: JsonValueKind.Object } d && d.TryGetProperty("message", out var m) && m.GetString() is { } s ? s : r.Message;
}
