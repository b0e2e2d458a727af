using System.Text.Json;
using System.Text.Json.Serialization;
using Dkms.Core.Crypto;
using Dkms.Core.Encoding;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Rpc;

namespace Dkms.Node.Commands;

/// <summary>
/// A proposed validator-set change passed between operators: the signed body (base64 of the canonical transaction body,
/// what every signature covers), a readable copy of the set it proposes, and the node-key signatures collected so far.
/// Every reader trusts only the body: the readable copy must match it, and every signature must verify over it.
/// </summary>
internal sealed record ValidatorChangeFile(
    string Format,
    string ChainId,
    ulong Sequence,
    ulong ProposedAtHeight,
    ValidatorView[] Current,
    ValidatorView[] Proposed,
    string Body,
    ValidatorChangeFile.Signature[] Signatures)
{
    public const string FormatName = "dkms-node/set-validators/1";

    /// <summary>A proposal file larger than this is refused unread (64 validators fit in a small fraction).</summary>
    public const int MaxFileBytes = 1024 * 1024;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    internal sealed record Signature(string NodeKey, string Value);

    /// <summary>The body this file carries, decoded and checked (see <see cref="Open"/>).</summary>
    [JsonIgnore]
    public TxBody DecodedBody { get; private init; } = null!;

    [JsonIgnore]
    public byte[] BodyBytes { get; private init; } = [];

    [JsonIgnore]
    public SetValidatorsPayload Payload => (SetValidatorsPayload)DecodedBody.Payload;

    public static ValidatorChangeFile Create(TxBody body, ulong height, ValidatorView[] current)
    {
        var bytes = Codec.Encode(body);
        var payload = (SetValidatorsPayload)body.Payload;
        return new ValidatorChangeFile(FormatName, body.ChainId, body.Sequence, height, current, [.. payload.Validators.Select(View)],
            Convert.ToBase64String(bytes), [])
        {
            DecodedBody = body,
            BodyBytes = bytes,
        };
    }

    public static ValidatorView View(ValidatorEntry v) => new(v.NodeKey.ToHex(), v.Address, v.Power);

    /// <summary>
    /// Reads a proposal file and checks it whole: size, JSON shape, a body that decodes canonically to a SetValidators of
    /// the governance subject whose set is well formed, a readable copy equal to the body, and signatures that each verify
    /// over the body and name distinct keys. Anything else is an <see cref="ArgumentException"/> saying what is wrong.
    /// </summary>
    public static ValidatorChangeFile Open(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists) throw new ArgumentException($"proposal file '{path}' does not exist");
        if (info.Length > MaxFileBytes) throw new ArgumentException($"proposal file '{path}' is larger than {MaxFileBytes} bytes");
        ValidatorChangeFile? file;
        try
        {
            file = JsonSerializer.Deserialize<ValidatorChangeFile>(File.ReadAllBytes(path), Json);
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"proposal file '{path}' is not valid JSON: {e.Message}");
        }

        if (file is null || file.Format != FormatName) throw new ArgumentException($"'{path}' is not a validator-set proposal ({FormatName})");
        if (file.Body is null || file.Signatures is null || file.Proposed is null || file.Signatures.Any(s => s is null)) throw new ArgumentException($"proposal file '{path}' is incomplete");
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(file.Body);
        }
        catch (FormatException)
        {
            throw new ArgumentException($"proposal file '{path}': the body is not base64");
        }

        if (!Codec.TryDecode<TxBody>(bytes, out var body, out var why) || body is null) throw new ArgumentException($"proposal file '{path}': the body does not decode: {why}");
        if (!Codec.Encode(body).AsSpan().SequenceEqual(bytes)) throw new ArgumentException($"proposal file '{path}': the body is not in canonical encoding");
        if (body.Subject != Governance.Subject || body.Payload is not SetValidatorsPayload payload) throw new ArgumentException($"proposal file '{path}': the body is not a SetValidators");
        if (CheckSet(payload) is { } bad) throw new ArgumentException($"proposal file '{path}': {bad}");
        if (body.ChainId != file.ChainId || body.Sequence != file.Sequence || !file.Proposed.SequenceEqual(payload.Validators.Select(View)))
        {
            throw new ArgumentException($"proposal file '{path}': the readable fields (chain id, sequence, proposed set) do not match the signed body; it was edited by hand or tampered with");
        }

        var loaded = file with { DecodedBody = body, BodyBytes = bytes };
        loaded.VerifiedSignatures(path);
        return loaded;
    }

    /// <summary>The collected signatures, each verified over the body; a bad or repeated one refuses the whole file.</summary>
    public TxSignature[] VerifiedSignatures(string path)
    {
        var message = Transaction.SigningMessageFor(BodyBytes);
        var result = new List<TxSignature>(Signatures.Length);
        foreach (var s in Signatures)
        {
            if (!TryKey(s.NodeKey, out var key)) throw new ArgumentException($"proposal file '{path}': a signature names a malformed node key");
            byte[] value;
            try
            {
                value = Convert.FromBase64String(s.Value ?? "");
            }
            catch (FormatException)
            {
                throw new ArgumentException($"proposal file '{path}': the signature of {key} is not base64");
            }

            if (value.Length != Ed25519.SignatureSize || !Ed25519.Verify(key, message, value))
            {
                throw new ArgumentException($"proposal file '{path}': the signature of {key} does not verify over the body");
            }

            if (result.Any(r => r.Key == key)) throw new ArgumentException($"proposal file '{path}': {key} signed twice");
            result.Add(new TxSignature(key, value, null));
        }

        return [.. result];
    }

    /// <summary>This file with <paramref name="signer"/>'s signature added (replacing an earlier one by the same key).</summary>
    public ValidatorChangeFile SignedBy(ISigner signer)
    {
        var value = signer.Sign(Transaction.SigningMessageFor(BodyBytes));
        var key = signer.PublicKey.ToHex();
        return this with { Signatures = [.. Signatures.Where(s => !string.Equals(s.NodeKey, key, StringComparison.OrdinalIgnoreCase)), new Signature(key, Convert.ToBase64String(value))] };
    }

    /// <summary>Writes the file whole or not at all (a temporary file renamed over it), so a crash never leaves half a proposal.</summary>
    public void Save(string path)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = full + ".tmp";
        File.WriteAllBytes(temp, JsonSerializer.SerializeToUtf8Bytes(this, Json));
        File.Move(temp, full, overwrite: true);
    }

    /// <summary>What the ledger requires of a new set, checked before anyone signs it: null when well formed.</summary>
    public static string? CheckSet(SetValidatorsPayload payload)
    {
        var set = payload.Validators;
        if (set is null || set.Length == 0) return "the proposed set is empty";
        if (set.Length > Governance.MaxValidators) return $"the proposed set has more than {Governance.MaxValidators} validators";
        if (set.Any(v => v is null)) return "the proposed set has a missing entry";
        if (set.Select(v => v.NodeKey).Distinct().Count() != set.Length) return "a node key is listed twice";
        foreach (var v in set)
        {
            if (v.Power <= 0) return $"validator {v.NodeKey} has power {v.Power}; it must be positive";
            if (ValidatorAddress.Check(v.Address) is { } why) return $"validator {v.NodeKey}: {why}";
        }

        return null;
    }

    public static bool TryKey(string? hex, out PublicKey key)
    {
        key = default;
        if (hex is not { Length: PublicKey.Size * 2 } || !hex.All(char.IsAsciiHexDigit)) return false;
        key = PublicKey.ParseHex(hex);
        return true;
    }
}
