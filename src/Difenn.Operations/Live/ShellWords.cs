using System.Text;

namespace Difenn.Operations.Live;

/// <summary>Splits a line the way sh does for the forms tools print: bare words, <c>'single'</c> and <c>"double"</c> quotes, backslash escapes.</summary>
public static class ShellWords
{
    /// <summary>The words of <paramref name="line"/>; throws <see cref="FormatException"/> on an unterminated quote.</summary>
    public static List<string> Split(string line)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (char.IsWhiteSpace(c))
            {
                if (inWord) words.Add(word.ToString());
                word.Clear();
                inWord = false;
                continue;
            }
            inWord = true;
            if (c == '\'')
            {
                var end = line.IndexOf('\'', i + 1);
                if (end < 0) throw new FormatException("unterminated quote");
                word.Append(line, i + 1, end - i - 1);
                i = end;
            }
            else if (c == '"')
            {
                for (i++; i < line.Length && line[i] != '"'; i++)
                    word.Append(line[i] == '\\' && i + 1 < line.Length ? line[++i] : line[i]);
                if (i >= line.Length) throw new FormatException("unterminated quote");
            }
            else if (c == '\\' && i + 1 < line.Length)
            {
                word.Append(line[++i]);
            }
            else
            {
                word.Append(c);
            }
        }
        if (inWord) words.Add(word.ToString());
        return words;
    }
}
