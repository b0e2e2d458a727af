using Dkms.Wallet.Shamir;

namespace Dkms.Wallet.Slip39;

/// <summary>The 1024-word SLIP-0039 list, embedded from the standard's wordlist.txt.</summary>
internal static class WordList
{
    public static readonly string[] Words = Load();
    private static readonly Dictionary<string, int> Index = Words.Select((w, i) => (w, i)).ToDictionary(p => p.w, p => p.i);

    public static int IndexOf(string word) =>
        Index.TryGetValue(word.ToLowerInvariant(), out var i) ? i : throw new ShareException(ShareError.InvalidMnemonic, $"'{word}' is not a SLIP-0039 word");

    private static string[] Load()
    {
        using var stream = typeof(WordList).Assembly.GetManifestResourceStream("Dkms.Wallet.Slip39.wordlist.txt")
            ?? throw new InvalidOperationException("SLIP-0039 word list resource missing");
        using var reader = new StreamReader(stream);
        var words = reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return words.Length == 1024 ? words : throw new InvalidOperationException("SLIP-0039 word list must have 1024 words");
    }
}
