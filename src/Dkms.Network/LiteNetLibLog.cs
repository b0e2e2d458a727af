using LiteNetLib;
using Microsoft.Extensions.Logging;

namespace Dkms.Network;

/// <summary>
/// LiteNetLib's own messages (<see cref="NetDebug.Logger"/>), which it otherwise writes to stdout — one
/// "[NM] DataReceived: bad!" line per undecodable datagram, so anyone who can send UDP to the port fills the log.
/// Here they are counted by kind (read by the node's metrics) and logged at Debug, rate-limited. LiteNetLib's logger is
/// one static for the process, so this is too: the first network started names the logger.
/// </summary>
public sealed class LiteNetLibLog : INetLogger
{
    private static readonly LiteNetLibLog Instance = new();
    private static readonly Lock InstallLock = new();
    private static SourceLimitedLog? _log;
    private static long _badPackets;
    private static long _socketErrors;
    private static long _otherErrors;

    private LiteNetLibLog()
    {
    }

    /// <summary>Datagrams LiteNetLib could not decode ("DataReceived: bad!"), in this process.</summary>
    public static long BadPackets => Interlocked.Read(ref _badPackets);

    /// <summary>Errors of LiteNetLib's socket threads, in this process.</summary>
    public static long SocketErrors => Interlocked.Read(ref _socketErrors);

    /// <summary>Any other message LiteNetLib reported, in this process.</summary>
    public static long OtherErrors => Interlocked.Read(ref _otherErrors);

    /// <summary>Routes LiteNetLib's messages to <paramref name="logger"/> (once per process; later calls keep the first).</summary>
    public static void Install(ILogger logger, TimeProvider time)
    {
        lock (InstallLock)
        {
            if (_log is not null) return;
            _log = new SourceLimitedLog(logger, time, "LiteNetLib messages", LogLevel.Debug, perSource: 5, perWindow: 5);
            NetDebug.Logger = Instance;
        }
    }

    public void WriteNet(NetLogLevel level, string str, params object[] args)
    {
        var kind = Classify(str);
        Interlocked.Increment(ref kind == Kind.BadPacket ? ref _badPackets : ref kind == Kind.Socket ? ref _socketErrors : ref _otherErrors);
        var log = _log;
        if (log is null || !log.IsEnabled(LogLevel.Debug)) return;
        try
        {
            // LiteNetLib passes no source, so the kind stands for it.
            log.Log(kind.ToString(), LogLevel.Debug, "LiteNetLib {Level}: {Message}", level, args.Length == 0 ? str : SafeFormat(str, args));
        }
        catch (ObjectDisposedException)
        {
            // the logging of the network that installed this was shut down; never throw into LiteNetLib's threads
        }
    }

    internal enum Kind
    {
        BadPacket,
        Socket,
        Other,
    }

    internal static Kind Classify(string message) =>
        message.Contains("DataReceived", StringComparison.Ordinal) ? Kind.BadPacket
        : message.Contains("Socket", StringComparison.OrdinalIgnoreCase) ? Kind.Socket
        : Kind.Other;

    private static string SafeFormat(string format, object[] args)
    {
        try
        {
            return string.Format(System.Globalization.CultureInfo.InvariantCulture, format, args);
        }
        catch (FormatException)
        {
            return format;
        }
    }
}
