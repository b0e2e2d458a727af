namespace Dkms.Wallet.Slip39;

/// <summary>The 1024 SLIP-0039 words (10 bits each), embedded from the standard's table.</summary>
internal static class WordList
{
    public static readonly string[] Words = Load();

    private static readonly Dictionary<string, int> Index = Words.Select((w, i) => (w, i)).ToDictionary(p => p.w, p => p.i, StringComparer.Ordinal);

    public static bool TryIndexOf(string word, out int index) => Index.TryGetValue(word.ToLowerInvariant(), out index);

    private static string[] Load()
    {
        using var stream = typeof(WordList).Assembly.GetManifestResourceStream("Dkms.Wallet.Slip39.wordlist.txt")
            ?? throw new InvalidOperationException("the SLIP-0039 word list resource is missing");
        using var reader = new StreamReader(stream);
        var words = reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (words.Length != 1024) throw new InvalidOperationException($"the SLIP-0039 word list has {words.Length} words, not 1024");
        return words;
    }
}
