using BenchmarkDotNet.Attributes;
using Dkms.Core.Encoding;
using Dkms.Core.Transactions;

namespace Dkms.Ledger.Bench;

/// <summary>Encoding a transaction body (what is signed) and decoding signed transaction bytes (with the canonical-form check).</summary>
[Config(typeof(ShortConfig))]
public class CodecBenchmarks
{
    private TxBody _body = null!;
    private byte[] _encoded = [];

    [Params(Kind.Rotation, Kind.SetAgentPolicy)]
    public Kind Type { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var tx = new Workload(Fixture.Chain, realSignatures: true).Make(Type, 10);
        _body = tx.Body;
        _encoded = tx.Encoded;
        Fixture.Require(EncodeBody().AsSpan().SequenceEqual(tx.BodyBytes), "encoding is deterministic");
        var decoded = Decode();
        Fixture.Require(decoded is not null && decoded.Hash == tx.Hash && decoded.BodyBytes.AsSpan().SequenceEqual(tx.BodyBytes) && decoded.Body.Payload.GetType() == tx.Body.Payload.GetType(), "decode gives back the transaction");
    }

    [Benchmark]
    public byte[] EncodeBody() => Codec.Encode(_body);

    [Benchmark]
    public Transaction? Decode() => TransactionCodec.TryDecode(_encoded, out var tx, out _) ? tx : null;
}
