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
            dkms-node init --observer --data-dir DIR --genesis FILE [--peers KEY@HOST:PORT[,...]]
                           [--peers-only] [--p2p 0.0.0.0:26656] [--rpc 127.0.0.1:26657]
              An observer: a node key and DIR/node.json that follows the chain from the peers
              (validators or other observers) and from the validators of the committed set
              (the genesis's, then each SetValidators'), serves reads and proofs, never signs
              and takes no transactions (docs/node.md, "Observers").
              --peers-only: dial only --peers (e.g. an observer behind other observers); a
              validator-set change that removes them all then leaves it without a source.
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
                          [--rpc-tls-cert PEM --rpc-tls-key PEM] [--rpc-token-file FILE]
                          [--log-level Information] [--log-file PATH] [--Node:Section:Key=value ...]
              Runs a validator until SIGINT/SIGTERM. Settings come from FILE (JSON, section
              "Node"), then environment variables DKMS_NODE__<KEY> (e.g. DKMS_NODE__RPCLISTEN),
              then the command line; later sources win. See docs/node.md for every setting.
              --log-file: log to PATH instead of the console, rotated by size
              (--Logging:File:MaxSizeMB=10, --Logging:File:MaxFiles=5).
              --rpc-tls-cert/--rpc-tls-key: serve the RPC over TLS (PEM certificate and key);
              --rpc-token-file: methods that change state need this bearer token. Limits:
              --Node:Rpc:MaxConnections=1024, --Node:Rpc:RequestsPerSecondPerConnection=2000.
              See docs/node.md "Exposing the RPC beyond loopback".
            """ + "\n",
        "reindex" => """
            dkms-node reindex [--config FILE] [--data-dir DIR] [--genesis FILE]
              Rebuilds the ledger store's state, history and indexes from its blocks and
              commit certificates (each verified against the validator set of its height,
              each block re-executed to its state root), with progress in heights/s. The node
              must be stopped. The old store is kept as DIR/ledger.before-rebuild-<time>.
              See docs/node.md, "Reindex".
            """ + "\n",
        "backup" => """
            dkms-node backup --to DIR [--rpc http://127.0.0.1:26657/]
              Asks the running node (its RPC on this machine: admin.backup is answered only on
              loopback) for a consistent checkpoint of its store, written to DIR (a new
              directory on the node's machine). The node keeps committing meanwhile. The node
              key is not in the backup. See docs/node.md, "Backup and restore".
            """ + "\n",
        "restore" => """
            dkms-node restore --from DIR --data-dir DATA
              Puts the backup in DIR into DATA, which must hold no store (stop the node and
              move the old ledger/ and pending/ aside first; the node key may stay). The
              restored validator catches up from its peers and signs again only above every
              height it may have signed since the backup (its signing hold).
            """ + "\n",
        "release-signing-hold" => """
            dkms-node release-signing-hold --data-dir DATA
              Ends a restored or rebuilt node's signing hold by hand (node stopped). Only for a
              chain that cannot commit without this validator, once you know the validator's
              old copy no longer runs and signed nothing above the height it will restart at.
            """ + "\n",
        "probe" => """
            dkms-node probe [--rpc http://127.0.0.1:26657/] [--genesis genesis/genesis.json] [--timeout-ms 30000]
                            [--rpc-ca PEM] [--rpc-token-file FILE]
              Commits one inception of a throwaway identity through the node and prints the
              height and latency: a quick check that the chain makes blocks.
            """ + "\n",
        "validators" => """
            dkms-node validators propose --output FILE [--rpc URL] [--add NODEKEY=HOST:PORT]...
                                         [--remove NODEKEY]... [--address NODEKEY=HOST:PORT]...
                                         [--power NODEKEY=N]...
            dkms-node validators sign FILE (--data-dir DIR | --node-key FILE) [--rpc URL]
            dkms-node validators submit FILE [--rpc URL] [--timeout-ms 30000]
              (each also takes --rpc-ca PEM and --rpc-token-file FILE for a node exposed with TLS and a token)

              Changes the validator set (a SetValidators transaction), in three steps:
              propose  reads the set in force from the node at --rpc (default http://127.0.0.1:26657/),
                       applies the changes and writes the unsigned proposal to FILE (never overwritten).
                       --add      a new validator: its node key ('dkms-node show-key') and the P2P
                                  address the others dial (host:port; DNS name, IPv4 or [IPv6]); power 1
                       --remove   a validator to drop; its sessions are closed once the change is in force
                       --address  a new P2P address for a validator
                       --power    a validator's voting power (a positive number)
                       Each option may be repeated.
              sign     checks FILE (the signed body, the readable copy, every signature) and adds this
                       node's signature; the file then goes to the next operator. With --rpc it also
                       checks the chain and shows the changes against the live set.
              submit   keeps the signatures of the set in force, checks they hold more than 2/3 of the
                       voting power, submits the change and waits for its commit.
              The new set is in force two heights after the commit; every node then dials the added
              validators and drops the removed ones. A node added this way needs --p2p (its key is
              not in the genesis). Exit codes: 0 done, 2 bad arguments or file, 3 refused or not yet
              enough signatures. See docs/node.md.
            """ + "\n",
        _ => """
            dkms-node — a DKMS ledger validator

            Commands:
              init       create a node key and data directory
              run        run the validator (JSON-RPC, peers, consensus)
              testnet    create keys, configs and a genesis for a local testnet
              show-key   print the node's public key
              probe      commit one throwaway transaction to check the chain makes blocks
              validators propose, sign and submit a change of the validator set
              reindex    rebuild the store's state and indexes from its blocks and certificates
              backup     write a consistent copy of the running node's store
              restore    put a backup into an empty data directory

            dkms-node COMMAND --help shows a command's options.
            """ + "\n",
    };
}
