namespace Dkms.Cli;

/// <summary>The exit codes of <c>dkms</c>; scripts may rely on them (docs/key-management.md lists them).</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>Bad arguments or input: unknown command, missing option, unreadable file, malformed value.</summary>
    public const int Usage = 1;

    /// <summary>The ledger rejected the transaction (the message carries its code, e.g. BadSequence).</summary>
    public const int Rejected = 2;

    /// <summary>The node could not be reached, did not answer in time, its mempool is full, or the commit wait timed out.</summary>
    public const int NodeUnavailable = 3;

    /// <summary>The wallet cannot be opened: wrong passphrase or key, tampered or malformed file, or no wallet at the path.</summary>
    public const int WalletLocked = 4;

    /// <summary>A check failed: a state proof, an agent proof, a share set or an envelope that does not authenticate.</summary>
    public const int VerificationFailed = 5;

    /// <summary>What was asked for does not exist: identity, policy, transaction, height.</summary>
    public const int NotFound = 6;

    /// <summary>An unexpected error (a bug, or an I/O failure): the message says what happened.</summary>
    public const int Internal = 7;

    /// <summary>The node serves another chain than the one this client is set up for (config or genesis); nothing was sent to it.</summary>
    public const int WrongChain = 8;
}
