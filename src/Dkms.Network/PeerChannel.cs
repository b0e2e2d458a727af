namespace Dkms.Network;

/// <summary>Channels multiplex independent streams over one connection; order is kept per channel.</summary>
public enum PeerChannel : byte
{
    Consensus = 0,
    Mempool = 1,
}
