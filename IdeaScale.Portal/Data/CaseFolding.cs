namespace IdeaScale.Portal.Data;

/// <summary>
/// Case-insensitive text comparison in SQL that behaves the same on SQLite and PostgreSQL: the column is folded by
/// the database's <c>upper()</c>, which folds ASCII letters only on both (SQLite's built-in; PostgreSQL's under the
/// <c>"C"</c> collation every text column has), and the user's text is folded here the same way (not by the database:
/// a PostgreSQL parameter has the database's collation, whose <c>upper()</c> would also fold "ä"). So A-Z match
/// either case and other letters match exactly, on both providers.
/// </summary>
public static class CaseFolding
{
    /// <summary>ASCII a-z to A-Z, everything else unchanged, as <c>upper()</c> folds a column on both providers.</summary>
    public static string AsciiUpper(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return string.Create(text.Length, text, static (span, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                span[i] = char.IsAsciiLetterLower(source[i]) ? (char)(source[i] - ('a' - 'A')) : source[i];
            }
        });
    }
}
