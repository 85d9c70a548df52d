using System.Globalization;
using System.Security.Claims;

using Bunit;

using IdeaScale.Portal.Tests.Infrastructure;
using IdeaScale.Portal.Workspaces;

using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

using MudBlazor;
using MudBlazor.Services;

namespace IdeaScale.Portal.Tests.Components;

/// <summary>
/// bUnit context wired to the real app's services on a real, freshly seeded SQLite file (a <see cref="PortalFactory"/>
/// per test): the same DbContext factory, Data Protection keys, ScimAdministration and SsoSettings the running portal uses.
/// Renders as interactive server, with MudBlazor services and the popover/dialog/snackbar providers.
/// </summary>
public abstract class PortalComponentContext : BunitContext, IAsyncLifetime
{
    protected PortalComponentContext() : this(null)
    {
    }

    /// <param name="overrides">Configuration of the app on top of the test defaults.</param>
    /// <param name="kestrel">Serve the app on a loopback port (for components that call the app over HTTP, like the connection test).</param>
    protected PortalComponentContext(IDictionary<string, string?>? overrides, bool kestrel = false)
    {
        // A first render on a cold host (a new PostgreSQL database and connection pool, a loaded machine) can take more
        // than bUnit's one-second default before its data arrives; waits end as soon as their assertion passes.
        DefaultWaitTimeout = TimeSpan.FromSeconds(30);
        App = new PortalFactory(null, overrides);
        if (kestrel)
        {
            using var _ = App.CreateLoopbackClient(); // before anything else starts the test server
        }

        var root = App.Services;
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddSingleton(root.GetRequiredService<TimeProvider>());
        Services.AddSingleton(root.GetRequiredService<IDbContextFactory<PortalDbContext>>());
        Services.AddSingleton(root.GetRequiredService<IDataProtectionProvider>());
        Services.AddSingleton(root.GetRequiredService<RecentSignIn>());
        // The re-sign-in dialog's checks run on the app's own Identity (UserManager, SignInManager, lockout).
        appScope = root.CreateScope();
        Services.AddScoped(_ => appScope.ServiceProvider.GetRequiredService<Reauthentication>());
        Services.AddSingleton(root.GetRequiredService<SsoSettings>());
        Services.AddScoped(_ => ActivatorUtilities.CreateInstance<ScimAdministration>(root));
        Services.AddSingleton(root.GetRequiredService<IdeaScale.Portal.Workspaces.ConnectionTest.ScimConnectionTest>());
        Services.AddSingleton(root.GetRequiredService<Microsoft.Extensions.Options.IOptions<IdeaScale.Portal.Workspaces.ProvisioningHealth.ProvisioningHealthOptions>>());
        Services.AddSingleton(root.GetRequiredService<IdeaScale.Portal.Scim.Credentials.OAuth.OAuthClientAdministration>());
        Services.AddSingleton(root.GetRequiredService<IdeaScale.Portal.Scim.Credentials.AuthorizationCode.OAuthGrants>());
        Services.AddSingleton(root.GetRequiredService<Microsoft.Extensions.Options.IOptions<IdeaScale.Portal.Scim.Credentials.OAuth.OAuthOptions>>());
        auth = AddAuthorization();
        SetRendererInfo(new RendererInfo("Server", true));
    }

    private readonly Bunit.TestDoubles.BunitAuthorizationContext auth;
    private readonly IServiceScope appScope;
    private IRenderedComponent<IComponent>? providers;

    private void RenderProviders()
    {
        providers ??= Render(builder =>
        {
            builder.OpenComponent<MudPopoverProvider>(0);
            builder.CloseComponent();
            builder.OpenComponent<MudDialogProvider>(1);
            builder.CloseComponent();
            builder.OpenComponent<MudSnackbarProvider>(2);
            builder.CloseComponent();
        });
    }

    protected PortalFactory App { get; }

    /// <summary>Where dialogs and snackbars render.</summary>
    protected IRenderedComponent<IComponent> Providers => providers ?? throw new InvalidOperationException("Call SignInAs first.");

    protected PortalDbContext Db() => App.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContext();

    /// <summary>Signs the test in as a seeded account; <paramref name="signedInAgo"/> sets the auth_time claim.</summary>
    protected void SignInAs(string email, TimeSpan? signedInAgo = null, params string[] roles)
    {
        using var db = Db();
        var user = db.Users.Single(u => u.Email == email);
        var authTime = DateTimeOffset.UtcNow - (signedInAgo ?? TimeSpan.FromMinutes(1));
        auth.SetAuthorized(email);
        auth.SetRoles(roles);
        auth.SetClaims(
            new Claim(ClaimTypes.NameIdentifier, user.Id),
            new Claim(ClaimTypes.Email, email),
            new Claim(RecentSignIn.AuthTimeClaim, authTime.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)));
        RenderProviders();
    }

    /// <summary>
    /// Finds an element and fires its event in one dispatcher turn. Found in one turn and fired in a later one, the
    /// element can hold an event handler that a re-render in between retired (a dialog opening, data arriving).
    /// </summary>
    protected void InTurn(Action findAndFire) => Renderer.Dispatcher.InvokeAsync(findAndFire).GetAwaiter().GetResult();

    public Task InitializeAsync() => Task.CompletedTask;

    // MudBlazor's services are IAsyncDisposable only, so the context is disposed asynchronously.
    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        appScope.Dispose();
        await App.DisposeAsync();
    }
}
