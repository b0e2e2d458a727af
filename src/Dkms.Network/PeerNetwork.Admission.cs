using System.Net;
using LiteNetLib;
using Microsoft.Extensions.Logging;

namespace Dkms.Network;

/// <summary>Who may open a connection: limits per source address, validators' sources kept free, refusals logged sparingly.</summary>
public sealed partial class PeerNetwork
{
    private static readonly byte[] RefusedReply = "DKMS/refused"u8.ToArray();

    private readonly ConnectionAdmission _admission;
    private readonly RefusalLog _refusals;

    /// <summary>Packets that break a session: someone who can spoof a peer's address can send them, so rate-limited too.</summary>
    private readonly SourceLimitedLog _sessionFaults;

    /// <summary>Connections this node dialed, with the validator it meant to reach, until they connect; network thread.</summary>
    private readonly Dictionary<NetPeer, PeerSlot> _dialed = new(ReferenceEqualityComparer.Instance);

    /// <summary>Learns every validator's endpoint, so their sources are known before the first request comes: IP
    /// literals at once, host names when their resolution answers (<see cref="DrainResolved"/>).</summary>
    private void LearnValidatorSources()
    {
        foreach (var slot in _slotList)
        {
            try
            {
                if (Locate(slot) is { } endpoint) slot.Endpoint = endpoint;
            }
            catch (Exception e) when (e is FormatException or ArgumentException)
            {
                _logger.LogWarning("cannot use the address of {Peer}, {Address}: {Error}", slot.Address.Key, slot.Address.Address, e.Message);
            }
        }

        RefreshValidatorSources();
    }

    /// <summary>
    /// Hands the admission the addresses of the current slots (resolved so far). Call it whenever slots are added
    /// or removed, so a removed validator's address stops having reserved room and an added one gets it.
    /// </summary>
    private void RefreshValidatorSources() =>
        _admission.SetValidatorSources(_slotList.Where(s => s.Endpoint is not null).Select(s => s.Endpoint!.Address));

    /// <summary>Keeps the validators' sources current when a dial resolves an address to something new.</summary>
    private void NoteValidatorEndpoint(PeerSlot slot, IPEndPoint endpoint)
    {
        if (endpoint.Equals(slot.Endpoint)) return;
        slot.Endpoint = endpoint;
        RefreshValidatorSources();
    }

    private void AdmissionHousekeeping()
    {
        _admission.Sweep();
        _refusals.Flush();
        List<NetPeer>? gone = null;
        foreach (var peer in _dialed.Keys)
        {
            if (peer.ConnectionState == ConnectionState.Disconnected) (gone ??= []).Add(peer);
        }

        foreach (var peer in gone ?? []) _dialed.Remove(peer);
    }

    // LiteNetLib's thread: decide at once, keep no state for a refused request, never throw back into LiteNetLib.
    private void OnConnectionRequest(ConnectionRequest request)
    {
        try
        {
            if (_stopping)
            {
                request.RejectForce();
                return;
            }

            var source = request.RemoteEndPoint.Address.ToString();
            if (!request.Data.PeekRemainingBytesSpan().SequenceEqual(Wire.ConnectTag))
            {
                Stats.Refused();
                _refusals.Refused("not a DKMS v2 peer (protocol tag)", source, request.RemoteEndPoint.ToString());
                request.RejectForce(RefusedReply); // one unreliable packet, so the client stops retrying
                return;
            }

            var verdict = _admission.TryAccept(request);
            if (verdict == AdmissionVerdict.Accepted) return;
            Stats.Refused();
            Stats.RefusedAtAdmission(verdict);
            _refusals.Refused(verdict switch
            {
                AdmissionVerdict.TooManyPendingFromSource => "too many pending handshakes from this address",
                AdmissionVerdict.TooFastFromSource => "too many new connections from this address",
                AdmissionVerdict.TooManyPending => "too many pending handshakes",
                AdmissionVerdict.TooFastOverall => "too many new connections from all addresses",
                _ => "too many addresses connecting",
            }, source, request.RemoteEndPoint.ToString());
            request.RejectForce(RefusedReply);
        }
        catch (Exception e)
        {
            _logger.LogError(e, "connection request from {Endpoint} failed", request.RemoteEndPoint?.ToString());
        }
    }
}
