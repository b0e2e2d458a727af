namespace Dkms.Cli;

/// <summary>A failure a handler reports to the user: the message is printed, the exit code returned.</summary>
public sealed class CliException(int exitCode, string message, string? code = null) : Exception(message)
{
    public int ExitCode { get; } = exitCode;

    /// <summary>A machine-readable reason for <c>--json</c> output (e.g. the ledger's rejection code).</summary>
    public string? Code { get; } = code;

    public static CliException Usage(string message) => new(ExitCodes.Usage, message, "Usage");
}
