//! `--image`: the content-part shapes of both providers, the type from the bytes, the
//! vision and size checks before sending, and images kept for a continued conversation.

use base64::Engine as _;

use crate::common::api::{FakeApi, Route};
use crate::common::{FakeServer, Reply, TestEnv};

const PNG: &[u8] = &[
    0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, b'I', b'H', b'D', b'R',
];

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn write_bytes(env: &TestEnv, name: &str, bytes: &[u8]) {
    std::fs::write(env.path(name), bytes).unwrap();
}

#[test]
fn openai_gets_image_url_parts_with_a_data_url() {
    let server = FakeServer::start(vec![Reply::openai("a cat")]);
    let env = TestEnv::new().with_server(&server);
    write_bytes(&env, "shot.txt", PNG); // the name says text; the bytes say PNG
    env.run(&["-m", "gpt-4o", "--image", "shot.txt", "what is this?"])
        .ok("a cat\n");
    let body = server.request().json();
    let last = body["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        last["content"],
        serde_json::json!([
            {"type": "image_url", "image_url": {"url": format!("data:image/png;base64,{}", b64(PNG))}},
            {"type": "text", "text": "what is this?"}
        ])
    );
}

#[test]
fn anthropic_gets_image_blocks_with_a_base64_source() {
    let gif = b"GIF89a\x01\x00\x01\x00".to_vec();
    let api = FakeApi::start(vec![Route::exact(
        "GET",
        "/cat.gif",
        crate::common::api::typed(200, "image/gif", std::str::from_utf8(&gif).unwrap()),
    )]);
    let server = FakeServer::start(vec![Reply::anthropic("a cat")]);
    let env = TestEnv::new().with_anthropic_server(&server);
    let url = format!("{}/cat.gif", api.url());
    env.run(&["-m", "claude-sonnet-4-5", "--image", &url, "what is this?"])
        .ok("a cat\n");
    let body = server.request().json();
    let last = body["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        last["content"],
        serde_json::json!([
            {"type": "image", "source": {"type": "base64", "media_type": "image/gif", "data": b64(&gif)}},
            {"type": "text", "text": "what is this?"}
        ])
    );
}

#[test]
fn a_continued_conversation_sends_the_image_again() {
    let server = FakeServer::start(vec![Reply::openai("first"), Reply::openai("second")]);
    let env = TestEnv::new().with_server(&server);
    write_bytes(&env, "a.png", PNG);
    env.run(&[
        "-m",
        "gpt-4o",
        "--conversation",
        "pics",
        "--image",
        "a.png",
        "look",
    ])
    .ok("first\n");
    env.run(&["-m", "gpt-4o", "--conversation", "pics", "and now?"])
        .ok("second\n");
    let second = server.requests()[1].json();
    let text = second["messages"].to_string();
    assert!(
        text.contains(&format!("data:image/png;base64,{}", b64(PNG))),
        "{text}"
    );
    let kept = std::fs::read_dir(env.data.join("images")).unwrap().count();
    assert_eq!(kept, 1);
}

#[test]
fn unknown_types_models_without_vision_and_oversized_images_are_refused_before_sending() {
    let server = FakeServer::start(vec![Reply::openai("never")]).allow_unused();
    let env = TestEnv::new().with_server(&server);
    env.write("notes.png", "just text");
    env.run(&["--image", "notes.png", "q"])
        .fails(2, "image notes.png is not PNG, JPEG, GIF or WebP");
    write_bytes(&env, "a.png", PNG);
    env.run(&["-m", "echo", "--image", "a.png", "q"])
        .fails(2, "does not take images");
    let mut big = PNG.to_vec();
    big.resize(4 * 1024 * 1024, 0); // 4 MiB is over 5 MiB once base64-encoded
    write_bytes(&env, "big.png", &big);
    let anthropic = FakeServer::start(vec![Reply::anthropic("never")]).allow_unused();
    let env2 = TestEnv::new().with_anthropic_server(&anthropic);
    write_bytes(&env2, "big.png", &big);
    env2.run(&["-m", "claude-sonnet-4-5", "--image", "big.png", "q"])
        .fails(2, "is too large for Anthropic");
    env.run(&["--image", "missing.png", "q"])
        .fails(2, "cannot read image missing.png");
    assert!(server.requests().is_empty() && anthropic.requests().is_empty());
}
