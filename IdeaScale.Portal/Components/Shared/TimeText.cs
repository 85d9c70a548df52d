using System.Globalization;

// Razor components in Shared/ get the .Shared namespace; plain C# helpers stay in .Components (CA1716: "Shared" is a VB keyword).
namespace IdeaScale.Portal.Components;

/// <summary>Human wording for times on the admin pages ("3 minutes ago", "in 24 hours").</summary>
public static class TimeText
{
    public static string Relative(DateTime utc, DateTime nowUtc)
    {
        var delta = nowUtc - utc;
        var future = delta < TimeSpan.Zero;
        var span = future ? -delta : delta;
        string amount = span switch
        {
            { TotalSeconds: < 60 } => "less than a minute",
            { TotalMinutes: < 60 } => Plural((int)span.TotalMinutes, "minute"),
            { TotalHours: < 48 } => Plural((int)span.TotalHours, "hour"),
            { TotalDays: < 60 } => Plural((int)span.TotalDays, "day"),
            _ => Plural((int)(span.TotalDays / 30), "month"),
        };
        return future ? "in " + amount : amount + " ago";
    }

    /// <summary>An absolute UTC time, e.g. "2026-11-28 14:05 UTC".</summary>
    public static string Absolute(DateTime utc) => utc.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + " UTC";

    private static string Plural(int n, string unit) => n == 1 ? $"1 {unit}" : $"{n} {unit}s";
}
