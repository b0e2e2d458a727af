using Dkms.Client;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Rpc;

namespace Dkms.Node.Commands;

/// <summary>
/// <c>dkms-node validators propose|sign|submit</c>: a validator-set change (SetValidators) built from the set in force,
/// signed in turn by the validators' node keys — the proposal file goes from operator to operator — and submitted once
/// validators holding more than 2/3 of the voting power signed it. The ledger applies it two heights after it commits,
/// and every node's peer set follows (docs/node.md).
/// </summary>
internal static class ValidatorsCommand
{
    /// <summary>Exit code when the node refused the change or the proposal cannot be submitted yet.</summary>
    public const int Refused = 3;

    private const string DefaultRpc = "http://127.0.0.1:26657/";

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        var action = args.Length > 0 ? args[0] : "";
        var rest = args.Length > 0 ? args[1..] : args;
        try
        {
            return action switch
            {
                "propose" => await ProposeAsync(rest, output).ConfigureAwait(false),
                "sign" => await SignAsync(rest, output, error).ConfigureAwait(false),
                "submit" => await SubmitAsync(rest, output, error).ConfigureAwait(false),
                _ => throw new ArgumentException(action.Length == 0 ? "say propose, sign or submit (dkms-node validators --help)" : $"unknown action '{action}': say propose, sign or submit"),
            };
        }
        catch (Exception e) when (e is RpcException or HttpRequestException or TaskCanceledException)
        {
            return Fail(error, $"the node could not be asked: {e.Message}");
        }
    }

    private static async Task<int> ProposeAsync(string[] args, TextWriter output)
    {
        var cl = new CommandLine(args);
        cl.AllowOnly(["--rpc", "--output", "--add", "--remove", "--address", "--power", .. CommandLine.RpcOptions]);
        var path = cl.Require("--output");
        if (File.Exists(path)) throw new ArgumentException($"'{path}' exists; choose another --output (a proposal is never overwritten)");
        if (!cl.Has("--add") && !cl.Has("--remove") && !cl.Has("--address") && !cl.Has("--power"))
        {
            throw new ArgumentException("nothing to change: give --add, --remove, --address or --power");
        }

        using var client = cl.RpcClient(DefaultRpc);
        var status = await client.NodeStatusAsync().ConfigureAwait(false);
        var current = await client.ValidatorsAsync().ConfigureAwait(false);
        var set = current.Validators.Select(v => new ValidatorEntry(Key(v.NodeKey, "the node's validator set"), v.Address, v.Power)).ToList();
        Apply(set, cl);

        var payload = new SetValidatorsPayload([.. set]);
        if (ValidatorChangeFile.CheckSet(payload) is { } bad) throw new ArgumentException($"the proposed set is not valid: {bad}");
        var body = new TxBody(status.ChainId, Governance.Subject, current.Sequence + 1, payload);
        ValidatorChangeFile.Create(body, current.Height, current.Validators).Save(path);

        output.WriteLine($"Proposal written to {path}: validator-set change #{body.Sequence} on chain {body.ChainId}.");
        Describe(output, current.Validators, payload);
        output.WriteLine($"Validators holding more than 2/3 of the voting power ({current.Validators.Sum(v => v.Power)}) sign it in turn:");
        output.WriteLine($"  dkms-node validators sign {path} --data-dir DIR");
        output.WriteLine($"then anyone submits it: dkms-node validators submit {path} --rpc URL");
        return 0;
    }

    private static async Task<int> SignAsync(string[] args, TextWriter output, TextWriter error)
    {
        var cl = new CommandLine(args, [], positional: 1);
        cl.AllowOnly(["--data-dir", "--node-key", "--rpc", .. CommandLine.RpcOptions]);
        var path = cl.Positional.Count == 1 ? cl.Positional[0] : throw new ArgumentException("name the proposal file: dkms-node validators sign FILE --data-dir DIR");
        var keyFile = cl.Get("--node-key") ?? Path.Combine(cl.Get("--data-dir") ?? throw new ArgumentException("give --data-dir DIR or --node-key FILE"), "node_key.json");
        var file = ValidatorChangeFile.Open(path);
        var signer = NodeKeyFile.Load(keyFile);

        // The file's copy of the set it started from is not signed: compare with the live set when a node is at hand.
        var basis = file.Current ?? [];
        var basisSource = "the set recorded in the file when it was proposed (not verified; give --rpc to compare with the chain)";
        if (cl.Get("--rpc") is { } rpc)
        {
            using var client = cl.RpcClient(rpc);
            var status = await client.NodeStatusAsync().ConfigureAwait(false);
            var live = await client.ValidatorsAsync().ConfigureAwait(false);
            if (status.ChainId != file.ChainId) return Fail(error, $"the proposal is for chain {file.ChainId}, the node serves {status.ChainId}; not signed");
            if (file.Sequence != live.Sequence + 1) return Fail(error, $"the proposal is change #{file.Sequence} but the chain expects #{live.Sequence + 1}; not signed");
            basis = live.Validators;
            basisSource = $"the set in force at height {live.Height} by {rpc}";
        }

        var signed = file.SignedBy(signer);
        signed.Save(path);
        output.WriteLine($"Signed validator-set change #{file.Sequence} on chain {file.ChainId} as {signer.PublicKey.ToHex()}.");
        output.WriteLine($"Changes are shown against {basisSource}.");
        Describe(output, basis, file.Payload);
        output.WriteLine($"{signed.Signatures.Length} signature(s) so far: {string.Join(", ", signed.Signatures.Select(s => s.NodeKey))}");
        if (!basis.Any(v => string.Equals(v.NodeKey, signer.PublicKey.ToHex(), StringComparison.OrdinalIgnoreCase)))
        {
            output.WriteLine("Note: this node key is not in that set; its signature will not count (submit leaves it out).");
        }

        return 0;
    }

    private static async Task<int> SubmitAsync(string[] args, TextWriter output, TextWriter error)
    {
        var cl = new CommandLine(args, [], positional: 1);
        cl.AllowOnly(["--rpc", "--timeout-ms", .. CommandLine.RpcOptions]);
        var path = cl.Positional.Count == 1 ? cl.Positional[0] : throw new ArgumentException("name the proposal file: dkms-node validators submit FILE");
        var file = ValidatorChangeFile.Open(path);
        using var client = cl.RpcClient(DefaultRpc);
        var status = await client.NodeStatusAsync().ConfigureAwait(false);
        var current = await client.ValidatorsAsync().ConfigureAwait(false);
        if (status.ChainId != file.ChainId) return Fail(error, $"the proposal is for chain {file.ChainId}, the node serves {status.ChainId}");
        if (file.Sequence != current.Sequence + 1)
        {
            return Fail(error, $"the proposal is change #{file.Sequence} but the chain expects #{current.Sequence + 1}: another change committed since; propose again");
        }

        // The ledger refuses a signature that does not count (one signed form per body): keep only the set's own.
        var collected = file.VerifiedSignatures(path);
        var members = current.Validators.ToDictionary(v => v.NodeKey, v => v.Power, StringComparer.OrdinalIgnoreCase);
        var counting = collected.Where(s => members.ContainsKey(s.Key.ToHex())).ToArray();
        if (counting.Length < collected.Length)
        {
            output.WriteLine($"Left out {collected.Length - counting.Length} signature(s) by keys outside the validator set in force.");
        }

        var total = current.Validators.Sum(v => v.Power);
        var signedPower = counting.Sum(s => members[s.Key.ToHex()]);
        if (signedPower * 3 <= total * 2)
        {
            return Fail(error, $"signers hold voting power {signedPower} of {total}; more than 2/3 is needed — collect more signatures with 'dkms-node validators sign'");
        }

        if (!TransactionCodec.TryAssemble(file.BodyBytes, counting, out var tx, out var why)) return Fail(error, $"the proposal does not make a valid transaction: {why}");
        try
        {
            var result = await client.SubmitAsync(tx!, SubmitModes.Commit, cl.GetInt("--timeout-ms", 30_000)).ConfigureAwait(false);
            if (result.Status != TxStatuses.Committed) return Fail(error, $"the node did not commit the change ({result.Status}): {result.Code} {result.Message}");
            output.WriteLine($"Validator-set change #{file.Sequence} committed at height {result.Height}; the new set is in force from height {result.Height + Governance.ActivationDelay}.");
            return 0;
        }
        catch (RpcException e)
        {
            return Fail(error, $"the node refused the change: {e.Message}");
        }
    }

    /// <summary>Applies --remove, --add, --address and --power to <paramref name="set"/>, in that order.</summary>
    private static void Apply(List<ValidatorEntry> set, CommandLine cl)
    {
        foreach (var hex in cl.GetAll("--remove"))
        {
            var key = Key(hex, "--remove");
            if (set.RemoveAll(v => v.NodeKey == key) == 0) throw new ArgumentException($"--remove {hex}: not in the validator set");
        }

        foreach (var (key, address) in Pairs(cl.GetAll("--add"), "--add"))
        {
            if (set.Any(v => v.NodeKey == key)) throw new ArgumentException($"--add {key}: already a validator (use --address or --power to change it)");
            set.Add(new ValidatorEntry(key, Address(address, "--add"), 1));
        }

        foreach (var (key, address) in Pairs(cl.GetAll("--address"), "--address"))
        {
            var i = IndexOf(set, key, "--address");
            set[i] = set[i] with { Address = Address(address, "--address") };
        }

        foreach (var (key, text) in Pairs(cl.GetAll("--power"), "--power"))
        {
            var i = IndexOf(set, key, "--power");
            set[i] = set[i] with { Power = long.TryParse(text, out var p) && p > 0 ? p : throw new ArgumentException($"--power {key}={text}: power must be a positive number") };
        }
    }

    private static IEnumerable<(PublicKey Key, string Value)> Pairs(IReadOnlyList<string> values, string option) => values.Select(v =>
    {
        var eq = v.IndexOf('=');
        if (eq <= 0) throw new ArgumentException($"{option} takes NODEKEY=VALUE, got '{v}'");
        return (Key(v[..eq], option), v[(eq + 1)..]);
    });

    private static int IndexOf(List<ValidatorEntry> set, PublicKey key, string option)
    {
        var i = set.FindIndex(v => v.NodeKey == key);
        return i >= 0 ? i : throw new ArgumentException($"{option} {key}: not in the validator set");
    }

    private static PublicKey Key(string hex, string option) =>
        ValidatorChangeFile.TryKey(hex, out var key) ? key : throw new ArgumentException($"{option}: '{hex}' is not a node key (64 hex characters; 'dkms-node show-key' prints it)");

    private static string Address(string address, string option) =>
        ValidatorAddress.Check(address) is { } why ? throw new ArgumentException($"{option}: {why}") : address;

    /// <summary>Prints the proposed set beside the one it replaces, marking what changes.</summary>
    private static void Describe(TextWriter output, ValidatorView[] current, SetValidatorsPayload proposed)
    {
        output.WriteLine("Proposed validator set:");
        foreach (var v in proposed.Validators)
        {
            var before = current.FirstOrDefault(c => string.Equals(c.NodeKey, v.NodeKey.ToHex(), StringComparison.OrdinalIgnoreCase));
            var mark = before is null ? "added" : before.Address != v.Address || before.Power != v.Power ? $"changed (was {before.Address}, power {before.Power})" : "";
            output.WriteLine($"  {v.NodeKey}  {v.Address}  power {v.Power}  {mark}".TrimEnd());
        }

        foreach (var gone in current.Where(c => !proposed.Validators.Any(v => string.Equals(c.NodeKey, v.NodeKey.ToHex(), StringComparison.OrdinalIgnoreCase))))
        {
            output.WriteLine($"  {gone.NodeKey}  {gone.Address}  power {gone.Power}  removed");
        }
    }

    private static int Fail(TextWriter error, string message)
    {
        error.WriteLine($"dkms-node validators: {message}");
        return Refused;
    }
}
