using Dkms.Core.Blocks;

namespace Dkms.Consensus.Tests;

public sealed class CertificateTests
{
    public enum Tamper { None, DropToBelowQuorum, FlipSignatureByte, OtherBlock, DuplicateSigner, OtherChain }

    [Theory]
    [InlineData(Tamper.None, true)]
    [InlineData(Tamper.DropToBelowQuorum, false)]
    [InlineData(Tamper.FlipSignatureByte, false)]
    [InlineData(Tamper.OtherBlock, false)]
    [InlineData(Tamper.DuplicateSigner, false)]
    [InlineData(Tamper.OtherChain, false)]
    public void A_commit_certificate_verifies_only_untampered(Tamper tamper, bool expected)
    {
        using var net = new TestNet(4, seed: 81);
        Assert.True(net.RunUntilHeight(3, TimeSpan.FromSeconds(30)));
        Assert.True(net.Apps[0].TryGetCommitted(2, out var block, out var cert));
        var sigs = cert.Signatures.ToList();
        var hash = block.Hash;
        var chain = TestNet.ChainId;
        switch (tamper)
        {
            case Tamper.DropToBelowQuorum: sigs = sigs.Take(2).ToList(); break;
            case Tamper.FlipSignatureByte:
                var s = (byte[])sigs[0].Signature.Clone();
                s[5] ^= 1;
                sigs[0] = sigs[0] with { Signature = s };
                break;
            case Tamper.OtherBlock: hash = net.Apps[0].Blocks[0].Hash; break;
            case Tamper.DuplicateSigner: sigs = [sigs[0], sigs[0], sigs[1]]; break;
            case Tamper.OtherChain: chain = "another-chain"; break;
        }

        var tampered = new CommitCertificate(cert.Height, cert.Round, tamper == Tamper.OtherBlock ? hash : cert.BlockHash, sigs);
        Assert.Equal(expected, tampered.Verify(net.Genesis, chain, hash));
    }
}
