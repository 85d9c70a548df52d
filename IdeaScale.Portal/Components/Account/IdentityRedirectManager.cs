using IdeaScale.Portal.Data;

using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Identity;

namespace IdeaScale.Portal.Components.Account;

internal sealed class IdentityRedirectManager(NavigationManager navigationManager)
{
    public const string StatusCookieName = "Identity.StatusMessage";

    private static readonly CookieBuilder StatusCookieBuilder = new()
    {
        SameSite = SameSiteMode.Strict,
        HttpOnly = true,
        IsEssential = true,
        MaxAge = TimeSpan.FromSeconds(5),
    };

    /// <summary>
    /// Redirects to <paramref name="uri"/> when it is a page of this app, and to the home page otherwise: a return URL
    /// from the query string may point anywhere (<c>https://…</c>, <c>//host</c>, <c>/\host</c>), and is never followed
    /// off the app nor an error.
    /// </summary>
    public void RedirectTo(string? uri) => navigationManager.NavigateTo(ToLocal(uri, navigationManager.BaseUri));

    /// <summary>
    /// <paramref name="uri"/> as a path relative to <paramref name="baseUri"/> when it resolves to a page under it, else
    /// "" (the home page). Backslashes and control characters (which browsers turn into "/" or drop, making
    /// <c>/\host</c> or <c>/\t/host</c> another host) are refused outright.
    /// </summary>
    internal static string ToLocal(string? uri, string baseUri)
    {
        if (string.IsNullOrEmpty(uri) || uri.Any(c => c == '\\' || char.IsControl(c)))
        {
            return "";
        }

        var appBase = new Uri(baseUri, UriKind.Absolute);
        if (!Uri.TryCreate(appBase, uri, out var target)
            || !string.Equals(target.GetLeftPart(UriPartial.Authority), appBase.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase)
            || !target.AbsolutePath.StartsWith(appBase.AbsolutePath, StringComparison.Ordinal))
        {
            return "";
        }

        // Never a leading "/" (a path like "//host" would leave the app once the base is put in front of it).
        return (target.PathAndQuery[appBase.AbsolutePath.Length..] + target.Fragment).TrimStart('/');
    }

    public void RedirectTo(string uri, Dictionary<string, object?> queryParameters)
    {
        var uriWithoutQuery = navigationManager.ToAbsoluteUri(uri).GetLeftPart(UriPartial.Path);
        var newUri = navigationManager.GetUriWithQueryParameters(uriWithoutQuery, queryParameters);
        RedirectTo(newUri);
    }

    public void RedirectToWithStatus(string uri, string message, HttpContext context)
    {
        context.Response.Cookies.Append(StatusCookieName, message, StatusCookieBuilder.Build(context));
        RedirectTo(uri);
    }

    private string CurrentPath => navigationManager.ToAbsoluteUri(navigationManager.Uri).GetLeftPart(UriPartial.Path);

    public void RedirectToCurrentPage() => RedirectTo(CurrentPath);

    public void RedirectToCurrentPageWithStatus(string message, HttpContext context)
        => RedirectToWithStatus(CurrentPath, message, context);

    public void RedirectToInvalidUser(UserManager<PortalUser> userManager, HttpContext context)
        => RedirectToWithStatus("Account/InvalidUser", $"Error: Unable to load user with ID '{userManager.GetUserId(context.User)}'.", context);
}
