using Dkms.Core.Crypto;
using Dkms.Core.Genesis;
using Microsoft.Extensions.Logging;

namespace Dkms.Node.Networking;

/// <summary>Creates the production peer link of a node from its settings and the genesis.</summary>
public static class PeerLinks
{
    public static IPeerLink Create(NodeSettings settings, GenesisDocument genesis, ISigner nodeKey, ILoggerFactory loggers)
    {
        _ = (settings, genesis, nodeKey, loggers);
        throw new NodeConfigurationException("the peer transport is being integrated");
    }
}
