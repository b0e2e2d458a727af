namespace Dkms.Node.Commands;

/// <summary>Help texts of <c>dkms-node</c>.</summary>
internal static class Usage
{
    public static string For(string verb) => verb switch
    {
        "init" => """
            dkms-node init --data-dir DIR
              Creates DIR and a new node key (DIR/node_key.json, mode 0600) unless one exists,
              and prints the node's public key for the genesis file.
            """ + "\n",
        "show-key" => """
            dkms-node show-key --data-dir DIR | --node-key FILE
              Prints the node's public key.
            """ + "\n",
        "testnet" => """
            dkms-node testnet --output DIR [--validators 4] [--chain-id dkms-testnet]
                              [--host 127.0.0.1] [--p2p-port 26656] [--rpc-port 26657]
                              [--min-recovery-delay 60] [--force]
              Creates a local testnet: DIR/genesis.json, and per validator i
              DIR/node{i}/node_key.json and DIR/node{i}/node.json (P2P port p2p-port + 10*i,
              RPC port rpc-port + 10*i). Keys are fresh and random; DIR must not be in git.
              --min-recovery-delay: the chain's shortest recovery delay, seconds (genesis
              "ledger.minRecoveryDelaySeconds"; short for a testnet, a day when a genesis names none).
            """ + "\n",
        "run" => """
            dkms-node run [--config FILE] [--data-dir DIR] [--genesis FILE] [--node-key FILE]
                          [--p2p HOST:PORT] [--rpc HOST:PORT] [--storage rocksdb|memory]
                          [--log-level Information] [--Node:Section:Key=value ...]
              Runs a validator until SIGINT/SIGTERM. Settings come from FILE (JSON, section
              "Node"), then environment variables DKMS_NODE__<KEY> (e.g. DKMS_NODE__RPCLISTEN),
              then the command line; later sources win. See docs/node.md for every setting.
            """ + "\n",
        "probe" => """
            dkms-node probe [--rpc http://127.0.0.1:26657/] [--genesis genesis/genesis.json] [--timeout-ms 30000]
              Commits one inception of a throwaway identity through the node and prints the
              height and latency: a quick check that the chain makes blocks.
            """ + "\n",
        _ => """
            dkms-node — a DKMS ledger validator

            Commands:
              init       create a node key and data directory
              run        run the validator (JSON-RPC, peers, consensus)
              testnet    create keys, configs and a genesis for a local testnet
              show-key   print the node's public key
              probe      commit one throwaway transaction to check the chain makes blocks

            dkms-node COMMAND --help shows a command's options.
            """ + "\n",
    };
}
