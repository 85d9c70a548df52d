using System.Net;

using IdeaScale.Portal.Tests.Infrastructure;

using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace IdeaScale.Portal.Tests.Security;

/// <summary>Lockout, throttling and equal work for unknown accounts on the real sign-in pages (issue 11, item 1).</summary>
public sealed class SignInLockoutTests
{
    private const string Admin = "admin@nosso.example";

    private static Task<HttpResponseMessage> LoginAsync(HttpClient client, string email, string password) =>
        FormSignIn.PostFormAsync(client, "/Account/Login", "login", new() { ["Input.Email"] = email, ["Input.Password"] = password });

    private static string Location(HttpResponseMessage response) => response.Headers.Location?.ToString() ?? "";

    [Fact]
    public async Task Login_FiveWrongPasswords_LocksOutAndTheRightPasswordIsRefused()
    {
        using var factory = new PortalFactory();
        using var client = FormSignIn.NewClient(factory);

        for (var attempt = 1; attempt < 5; attempt++)
        {
            var wrong = await LoginAsync(client, Admin, "Wrong-Pass-1!");
            Assert.Contains("Invalid login attempt", await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var fifth = await LoginAsync(client, Admin, "Wrong-Pass-1!");
        Assert.Equal(HttpStatusCode.Redirect, fifth.StatusCode);
        Assert.Contains("Account/Lockout", Location(fifth), StringComparison.Ordinal);

        var right = await LoginAsync(client, Admin, PortalFactory.AdminPassword);
        Assert.Equal(HttpStatusCode.Redirect, right.StatusCode);
        Assert.Contains("Account/Lockout", Location(right), StringComparison.Ordinal);
        var lockoutPage = await client.GetStringAsync("/Account/Lockout");
        Assert.Contains("locked after 5 failed sign-in attempts", lockoutPage, StringComparison.Ordinal);
        Assert.Contains("Try again in 15 minutes", lockoutPage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Login_LockoutSettingsFromConfiguration_AreUsed()
    {
        using var factory = new PortalFactory(null, new Dictionary<string, string?>
        {
            ["SignIn:Lockout:MaxFailedAccessAttempts"] = "2",
            ["SignIn:Lockout:DefaultLockoutTimeSpan"] = "00:30:00",
        });
        using var client = FormSignIn.NewClient(factory);

        await LoginAsync(client, Admin, "Wrong-Pass-1!");
        var second = await LoginAsync(client, Admin, "Wrong-Pass-1!");

        Assert.Contains("Account/Lockout", Location(second), StringComparison.Ordinal);
        Assert.Contains("Try again in 30 minutes", await client.GetStringAsync("/Account/Lockout"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Login_DefaultPerIpLimit_TwentyFirstAttemptWithinAMinuteIs429WithMessage()
    {
        using var factory = new PortalFactory();
        using var client = FormSignIn.NewClient(factory);
        // One form page, posted 21 times in a row (the token stays valid), so all attempts fall in one window.
        var post = await FormSignIn.FormPosterAsync(client, "/Account/Login", "login");

        // Twenty different (unknown) accounts, so neither lockout nor the per-account limit plays a part.
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var allowed = await post(new() { ["Input.Email"] = $"nobody{attempt}@example.com", ["Input.Password"] = "Wrong-Pass-1!" });
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
            Assert.Contains("Invalid login attempt", await allowed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var throttled = await post(new() { ["Input.Email"] = Admin, ["Input.Password"] = PortalFactory.AdminPassword });

        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        Assert.True(throttled.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.Contains("Too many sign-in attempts. Wait", await throttled.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Null(throttled.Headers.Location);
    }

    [Fact]
    public async Task Login_OverPerAccountLimit_Is429ForThatAddressOnly_KnownOrNot()
    {
        using var factory = new PortalFactory(null, new Dictionary<string, string?>
        {
            ["SignIn:Throttle:PerIp:PermitLimit"] = "0",
            ["SignIn:Throttle:PerAccount:PermitLimit"] = "3",
            ["SignIn:Throttle:PerAccount:Window"] = "00:10:00",
        });
        using var client = FormSignIn.NewClient(factory);

        foreach (var email in new[] { "nobody@example.com", "csm@ideascale.example" })
        {
            for (var attempt = 0; attempt < 3; attempt++)
            {
                Assert.Equal(HttpStatusCode.OK, (await LoginAsync(client, email, "Wrong-Pass-1!")).StatusCode);
            }

            // The same address in other letter case is the same account.
            var throttled = await LoginAsync(client, email.ToUpperInvariant(), "Wrong-Pass-1!");
            Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
            Assert.Contains("Too many sign-in attempts", await throttled.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var other = await LoginAsync(client, Admin, PortalFactory.AdminPassword);
        Assert.Equal(HttpStatusCode.Redirect, other.StatusCode);
        Assert.DoesNotContain("Account/", Location(other), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Login_UnknownEmail_VerifiesAPasswordHashLikeAKnownOne()
    {
        var hasher = new CountingPasswordHasher();
        using var factory = new PortalFactory();
        using var counted = factory.WithWebHostBuilder(b => b.ConfigureTestServices(services =>
            services.Replace(ServiceDescriptor.Singleton<IPasswordHasher<PortalUser>>(hasher))));
        using var client = FormSignIn.NewClient(counted);

        var before = hasher.Verifications;
        var unknown = await LoginAsync(client, "nobody@example.com", "Wrong-Pass-1!");
        var afterUnknown = hasher.Verifications;
        var known = await LoginAsync(client, Admin, "Wrong-Pass-1!");
        var afterKnown = hasher.Verifications;

        Assert.Contains("Invalid login attempt", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("Invalid login attempt", await known.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(1, afterUnknown - before);
        Assert.Equal(1, afterKnown - afterUnknown);
        Assert.Contains("Wrong-Pass-1!", hasher.VerifiedPasswords);
    }

    [Fact]
    public async Task LoginWithRecoveryCode_FiveWrongCodes_LocksOutAndAValidCodeIsRefused()
    {
        using var factory = new PortalFactory();
        const string email = "recovery-lockout@ideascale.example";
        const string password = "Recovery-Pass-7!";
        string validCode;
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
            var user = new PortalUser { UserName = email, Email = email, EmailConfirmed = true, DisplayName = "Recovery" };
            Assert.True((await users.CreateAsync(user, password)).Succeeded);
            await users.ResetAuthenticatorKeyAsync(user);
            await users.SetTwoFactorEnabledAsync(user, true);
            validCode = (await users.GenerateNewTwoFactorRecoveryCodesAsync(user, 10))!.First();
        }

        using var client = FormSignIn.NewClient(factory);
        var first = await LoginAsync(client, email, password);
        Assert.Contains("Account/LoginWith2fa", Location(first), StringComparison.Ordinal);

        Task<HttpResponseMessage> RecoveryAttemptAsync(string code) => FormSignIn.PostFormAsync(client, "/Account/LoginWithRecoveryCode",
            "login-with-recovery-code", new() { ["Input.RecoveryCode"] = code });

        for (var attempt = 1; attempt < 5; attempt++)
        {
            Assert.Contains("Invalid recovery code", await (await RecoveryAttemptAsync("WRONG-CODE")).Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Contains("Account/Lockout", Location(await RecoveryAttemptAsync("WRONG-CODE")), StringComparison.Ordinal);
        Assert.Contains("Account/Lockout", Location(await RecoveryAttemptAsync(validCode)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoginWith2fa_FiveWrongCodes_LocksOut_AndTheStepIsThrottledPerAccount()
    {
        using var factory = new PortalFactory(null, new Dictionary<string, string?>
        {
            ["SignIn:Throttle:PerIp:PermitLimit"] = "0",
            // Five codes; the second step counts per account id, apart from the e-mail typed in the first.
            ["SignIn:Throttle:PerAccount:PermitLimit"] = "5",
        });
        var email = await CreateTwoFactorAccountAsync(factory);
        using var client = FormSignIn.NewClient(factory);
        Assert.Contains("Account/LoginWith2fa", Location(await LoginAsync(client, email, TwoFactorPassword)), StringComparison.Ordinal);

        Task<HttpResponseMessage> CodeAsync() => FormSignIn.PostFormAsync(client, "/Account/LoginWith2fa", "login-with-2fa",
            new() { ["Input.TwoFactorCode"] = "000000" });

        for (var attempt = 1; attempt < 5; attempt++)
        {
            Assert.Contains("Invalid authenticator code", await (await CodeAsync()).Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Contains("Account/Lockout", Location(await CodeAsync()), StringComparison.Ordinal);
        var throttled = await CodeAsync();
        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        Assert.Contains("Too many sign-in attempts", await throttled.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private const string TwoFactorPassword = "Recovery-Pass-7!";

    /// <summary>A confirmed account with an authenticator enrolled.</summary>
    private static async Task<string> CreateTwoFactorAccountAsync(PortalFactory factory)
    {
        const string email = "two-factor-lockout@ideascale.example";
        await using var scope = factory.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        var user = new PortalUser { UserName = email, Email = email, EmailConfirmed = true, DisplayName = "Two factor" };
        Assert.True((await users.CreateAsync(user, TwoFactorPassword)).Succeeded);
        await users.ResetAuthenticatorKeyAsync(user);
        await users.SetTwoFactorEnabledAsync(user, true);
        return email;
    }

    /// <summary>Identity's hasher, counting verifications (and the passwords verified) so the test sees the work done.</summary>
    private sealed class CountingPasswordHasher : IPasswordHasher<PortalUser>
    {
        private readonly PasswordHasher<PortalUser> inner = new();
        private int verifications;

        public int Verifications => Volatile.Read(ref verifications);
        public System.Collections.Concurrent.ConcurrentBag<string> VerifiedPasswords { get; } = [];

        public string HashPassword(PortalUser user, string password) => inner.HashPassword(user, password);

        public PasswordVerificationResult VerifyHashedPassword(PortalUser user, string hashedPassword, string providedPassword)
        {
            Interlocked.Increment(ref verifications);
            VerifiedPasswords.Add(providedPassword);
            return inner.VerifyHashedPassword(user, hashedPassword, providedPassword);
        }
    }
}
